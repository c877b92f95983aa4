import Engine
import Hummingbird
import LibraProtocol

extension HTTPAPI {
    var memberRoutes: [HTTPRoute] {
        let memberID = HTTPOperation.Parameter.path("id", "The member's id.")
        let draft = MemberDraft(email: "", name: "", tier: "", cardExpiryDay: 0)
        return [
            command(
                .post, "/api/v1/members", op: "register_member", status: .created,
                HTTPOperation(
                    id: "registerMember", tag: .members, summary: "Register a member", access: .command(.registerMember(draft)), body: "NewMember",
                    success: .json(201, "The new member, active, with no fines; the Location header names it.", "MemberReply", location: true),
                    refusals: [.invalidField, .emailTaken, .unknownTier])),
            read(
                "/api/v1/members",
                HTTPOperation(
                    id: "listMembers", tag: .members, summary: "List members (suspended ones too), ascending by id, a page at a time",
                    access: .command(.listMembers(after: nil, limit: 1)), parameters: [.after, .limit],
                    success: .json(200, "A page of members; `next` is the cursor for the following page, null on the last.", "MemberPage"),
                    refusals: [.invalidField])
            ) { _, page in .listMembers(after: page.after.map { MemberID($0) }, limit: page.limit) },
            read(
                "/api/v1/members/{id}",
                HTTPOperation(
                    id: "getMember", tag: .members, summary: "Read a member, with the full records of its active loans",
                    access: .command(.getMember(1)), parameters: [memberID], success: .json(200, "The member and its active loans.", "MemberDetail"),
                    refusals: [.memberNotFound])
            ) { id, _ in .getMember(MemberID(id)) },
            command(
                .patch, "/api/v1/members/{id}", op: "update_member", pathFields: Self.idField("member"),
                HTTPOperation(
                    id: "updateMember", tag: .members, summary: "Change a member's e-mail, name, tier or card expiry",
                    access: .command(.updateMember(1, MemberChanges())), parameters: [memberID], body: "MemberChanges",
                    success: .json(200, "The member as changed.", "MemberReply"), refusals: [.memberNotFound, .invalidField, .emailTaken, .unknownTier])),
            command(
                .post, "/api/v1/members/{id}/suspend", op: "suspend_member", pathFields: Self.idField("member"),
                HTTPOperation(
                    id: "suspendMember", tag: .members, summary: "Suspend a member: no checkouts or renewals until reinstated",
                    description: "Takes no body.", access: .command(.suspendMember(1)), parameters: [memberID],
                    success: .json(200, "The suspended member.", "MemberReply"), refusals: [.memberNotFound, .memberAlreadySuspended])),
            command(
                .post, "/api/v1/members/{id}/reinstate", op: "reinstate_member", pathFields: Self.idField("member"),
                HTTPOperation(
                    id: "reinstateMember", tag: .members, summary: "Reinstate a suspended member", description: "Takes no body.",
                    access: .command(.reinstateMember(1)), parameters: [memberID], success: .json(200, "The active member.", "MemberReply"),
                    refusals: [.memberNotFound, .memberAlreadyActive])),
            read(
                "/api/v1/members/{id}/loans",
                HTTPOperation(
                    id: "listMemberLoans", tag: .members, summary: "List a member's loans, active and returned, ascending by id, a page at a time",
                    access: .command(.memberLoans(1, after: nil, limit: 1)), parameters: [memberID, .after, .limit],
                    success: .json(200, "A page of loans; `next` is the cursor for the following page, null on the last.", "LoanPage"),
                    refusals: [.memberNotFound, .invalidField])
            ) { id, page in .memberLoans(MemberID(id), after: page.after.map { LoanID($0) }, limit: page.limit) },
            read(
                "/api/v1/members/{id}/holds",
                HTTPOperation(
                    id: "listMemberHolds", tag: .members, summary: "List a member's open holds with their places in line",
                    access: .command(.memberHolds(1)), parameters: [memberID], success: .json(200, "All the member's open holds; `next` is null.", "HoldPage"),
                    refusals: [.memberNotFound])
            ) { id, _ in .memberHolds(MemberID(id)) },
            command(
                .post, "/api/v1/members/{id}/blocks", op: "block_member", pathFields: Self.idField("member"),
                HTTPOperation(
                    id: "blockMember", tag: .members, summary: "Block a member's borrowing, renewing or holds, with a reason",
                    description: "Until lifted, or until `expires_at`. Checkouts, renewals and holds it stops are refused MEMBER_BLOCKED. "
                        + "At most \(Limits.blocksPerMemberMax) blocks at once (INVALID_FIELD(blocks) beyond).",
                    access: .command(.blockMember(1, MemberBlockDraft(reason: "r"))), parameters: [memberID], body: "NewBlock",
                    success: .json(200, "The member with its blocks; the new one is the last.", "MemberReply"),
                    refusals: [.memberNotFound, .invalidField])),
            command(
                .post, "/api/v1/members/{id}/unblock", op: "unblock_member", pathFields: Self.idField("member"),
                HTTPOperation(
                    id: "unblockMember", tag: .members, summary: "Lift a block", access: .command(.unblockMember(1, block: 1)), parameters: [memberID],
                    body: "Unblock", success: .json(200, "The member without the block.", "MemberReply"), refusals: [.memberNotFound, .blockNotFound])),
            command(
                .post, "/api/v1/members/{id}/payments", op: "pay_fine", pathFields: Self.idField("member"),
                HTTPOperation(
                    id: "payFine", tag: .members, summary: "Pay some or all of a member's fines", access: .command(.payFine(1, amountCents: 1)),
                    parameters: [memberID], body: "Payment", success: .json(200, "What the member still owes.", "FinesReply"),
                    refusals: [.memberNotFound, .paymentExceedsFines, .invalidField])),
        ]
    }
}
