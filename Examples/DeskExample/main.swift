// A circulation desk in a few lines: connect, catalog a book, register a reader, lend, renew,
// return. Run a server first (`libra serve`), then:
//
//     swift run libra-desk-example [host] [port] [token]
//
// or set LIBRA_HOST, LIBRA_PORT and LIBRA_TOKEN (an admin token: the example creates records).
// docs/sdk.md walks through this code.

import Engine
import Foundation
import LibraClient

let arguments = CommandLine.arguments.dropFirst().map { $0 }
let environment = ProcessInfo.processInfo.environment
let host = arguments.count > 0 ? arguments[0] : environment["LIBRA_HOST"] ?? "127.0.0.1"
let port = arguments.count > 1 ? Int(arguments[1]) : environment["LIBRA_PORT"].flatMap { Int($0) }
guard let token = arguments.count > 2 ? arguments[2] : environment["LIBRA_TOKEN"] else {
    print("usage: libra-desk-example [host] [port] [token]   (or LIBRA_HOST, LIBRA_PORT, LIBRA_TOKEN)")
    exit(2)
}

do {
    var configuration = ClientConfiguration()
    configuration.idempotencyKeyPrefix = "desk-1"
    let client = try await LibraClient.connect(host: host, port: port ?? 7654, token: token, configuration: configuration)
    print("connected: server \(client.welcome.serverVersion), role \(client.welcome.role.name)")

    let item = try await client.createItem(ItemDraft(
        isbn: "978-0-306-40615-7", title: "Signals and Systems", author: "A. Author",
        publisher: "Plenum", year: 1984, type: .book, copies: 2))
    let member = try await client.registerMember(MemberDraft(
        email: "reader-\(UInt32.random(in: 0...UInt32.max))@example.org", name: "Ada Reader", tier: "standard",
        cardExpiryDay: CivilDate(year: 2030, month: 1, day: 1).daysSinceEpoch))
    print("item \(item.id) '\(item.title)', \(item.availableCopies) of \(item.totalCopies) on the shelf")
    print("member \(member.id) \(member.name) <\(member.email)>")

    let loan = try await client.checkout(member: member.id, item: item.id)
    print("loan \(loan.id): due \(loan.dueAt)")
    let renewed = try await client.renew(loan.id)
    print("loan \(renewed.id): renewed \(renewed.renewals) time(s), now due \(renewed.dueAt)")
    let returned = try await client.returnLoan(loan.id)
    print("loan \(returned.id): returned \(returned.returnedAt!), fine \(returned.fineCents) cents")

    // A refusal is an error with a stable code and a message for the librarian.
    do {
        _ = try await client.returnLoan(loan.id)
    } catch .refused(let refusal) {
        print("second return refused: \(refusal.code.name): \(refusal.message)")
    }

    // Several commands in one frame: one outcome each, in order.
    let outcomes = try await client.execute([Request(.getItem(item.id)), Request(.getMember(member.id))])
    print("batch: \(outcomes.map { $0.isOK ? "ok" : "\($0.refusal!)" }.joined(separator: ", "))")
    let statistics = client.statistics
    print("sent \(statistics.commandsSent) commands in \(statistics.framesSent) frames")
    await client.close()
} catch {
    print("error: \(error)")
    exit(1)
}
