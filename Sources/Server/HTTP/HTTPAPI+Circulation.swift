import Engine
import Hummingbird
import LibraProtocol

extension HTTPAPI {
    func addCatalogRoutes(to router: Router<BasicRequestContext>) {
        let items = router.group("/api/v1/items")
        items.post { request, _ in await run(request, op: "create_item", status: .created) }
        items.get { request, _ in
            guard let page = page(request) else { return error(ProtocolRefusal(.malformedRequest, "after and limit must be integers.")) }
            return await execute(request, EngineRequest(.listItems(after: page.after.map { ItemID($0) }, limit: page.limit)))
        }
        items.get("{id}") { request, context in
            guard let id = id(context, "id") else { return badID("item") }
            return await execute(request, EngineRequest(.getItem(ItemID(id))))
        }
        items.patch("{id}") { request, context in
            guard let id = id(context, "id") else { return badID("item") }
            return await run(request, op: "update_item", path: ["item": id])
        }
        items.post("{id}/withdraw") { request, context in
            guard let id = id(context, "id") else { return badID("item") }
            return await run(request, op: "withdraw_item", path: ["item": id])
        }
        items.post("{id}/copies/add") { request, context in
            guard let id = id(context, "id") else { return badID("item") }
            return await run(request, op: "add_copies", path: ["item": id])
        }
        items.post("{id}/copies/remove") { request, context in
            guard let id = id(context, "id") else { return badID("item") }
            return await run(request, op: "remove_copies", path: ["item": id])
        }
        router.put("/api/v1/policies") { request, _ in await run(request, op: "set_policy") }
    }

    func addMemberRoutes(to router: Router<BasicRequestContext>) {
        let members = router.group("/api/v1/members")
        members.post { request, _ in await run(request, op: "register_member", status: .created) }
        members.get { request, _ in
            guard let page = page(request) else { return error(ProtocolRefusal(.malformedRequest, "after and limit must be integers.")) }
            return await execute(request, EngineRequest(.listMembers(after: page.after.map { MemberID($0) }, limit: page.limit)))
        }
        members.get("{id}") { request, context in
            guard let id = id(context, "id") else { return badID("member") }
            return await execute(request, EngineRequest(.getMember(MemberID(id))))
        }
        members.patch("{id}") { request, context in
            guard let id = id(context, "id") else { return badID("member") }
            return await run(request, op: "update_member", path: ["member": id])
        }
        members.post("{id}/suspend") { request, context in
            guard let id = id(context, "id") else { return badID("member") }
            return await run(request, op: "suspend_member", path: ["member": id])
        }
        members.post("{id}/reinstate") { request, context in
            guard let id = id(context, "id") else { return badID("member") }
            return await run(request, op: "reinstate_member", path: ["member": id])
        }
        members.get("{id}/loans") { request, context in
            guard let id = id(context, "id") else { return badID("member") }
            guard let page = page(request) else { return error(ProtocolRefusal(.malformedRequest, "after and limit must be integers.")) }
            return await execute(request, EngineRequest(.memberLoans(MemberID(id), after: page.after.map { LoanID($0) }, limit: page.limit)))
        }
        members.post("{id}/payments") { request, context in
            guard let id = id(context, "id") else { return badID("member") }
            return await run(request, op: "pay_fine", path: ["member": id])
        }
    }

    func addLoanRoutes(to router: Router<BasicRequestContext>) {
        let loans = router.group("/api/v1/loans")
        loans.post { request, _ in await run(request, op: "checkout", status: .created) }
        loans.get("overdue") { request, _ in
            guard let page = page(request) else { return error(ProtocolRefusal(.malformedRequest, "after and limit must be integers.")) }
            return await execute(request, EngineRequest(.overdueLoans(after: page.after.map { LoanID($0) }, limit: page.limit)))
        }
        loans.post("{id}/return") { request, context in
            guard let id = id(context, "id") else { return badID("loan") }
            return await run(request, op: "return", path: ["loan": id])
        }
        loans.post("{id}/renew") { request, context in
            guard let id = id(context, "id") else { return badID("loan") }
            return await run(request, op: "renew", path: ["loan": id])
        }
    }

    /// Decodes the body as a command of `op` and runs it.
    func run(_ request: Request, op: String, path: [String: Any] = [:], status: HTTPResponse.Status = .ok) async -> Response {
        switch await command(request, op: op, path: path) {
        case .failure(let refusal): return error(refusal)
        case .success(let command): return await execute(request, command, status: status)
        }
    }
}
