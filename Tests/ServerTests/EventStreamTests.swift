import Engine
import Foundation
import LibraProtocol
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The event stream against the real server: binary and JSON subscriptions and Server-Sent
/// Events see every committed event in log order, each naming the token that caused it, and
/// resume exactly where a client left off.
@Suite(.serialized) final class EventStreamTests {
    let server: ServerProcess

    init() throws {
        server = try ServerProcess()
        try server.start()
    }

    deinit {
        server.stop(signal: SIGKILL)
        server.removeDirectory()
    }

    /// The id of the admin token the server was started with, as GET /api/v1/tokens lists it.
    func adminTokenID() throws -> String {
        let listed = try http("GET", port: server.httpPort, "/api/v1/tokens", token: ServerProcess.adminToken).object["tokens"] as? [[String: Any]] ?? []
        return try #require(listed.first { $0["name"] as? String == "LIBRA_ADMIN_TOKEN" }?["id"] as? String)
    }

    func durableLSN(_ client: FrameClient) throws -> UInt64 {
        try client.send(.ping, [])
        return try BinaryPayloads.decodePong(client.receive().payload)
    }

    /// EVENTS frames for request `id` until the stream reaches `lsn` (its `next` passes it).
    func records(_ client: FrameClient, id: UInt64, through lsn: UInt64) throws -> [(lsn: UInt64, record: BatchRecord)] {
        var records: [(lsn: UInt64, record: BatchRecord)] = []
        while true {
            let answer = try client.receive()
            #expect(answer.header.requestID == id)
            guard answer.header.opcode == .events else { throw ServerProcessError("expected EVENTS, got \(answer.header.opcode): \(String(describing: answer.refusal))") }
            let (next, more) = try EventFrames.decodeEvents(answer.payload)
            records += more
            if next > lsn { return records }
        }
    }

    @Test func binarySubscribersSeeEveryCommittedEventWithItsToken() throws {
        let follower = try FrameClient(port: server.protocolPort)
        _ = try follower.hello()
        let id = try follower.send(.subscribe, EventFrames.encodeSubscribe(from: nil))
        let first = try follower.receive()
        #expect(first.header.opcode == .events && first.header.requestID == id)
        let (start, none) = try EventFrames.decodeEvents(first.payload)
        #expect(none.isEmpty)
        #expect(try http("GET", port: server.httpPort, "/metrics").text.contains("\nlibra_event_subscriptions_open 1"))

        let desk = try FrameClient(port: server.protocolPort)
        _ = try desk.hello()
        let created = try desk.outcomes([Samples.item(0, copies: 1), Samples.member(0)])
        let item = try #require(created[0].item)
        let member = try #require(created[1].member)
        let loan = try #require(try desk.outcomes([Request(.checkout(member: member.id, item: item.id))])[0].loan)
        _ = try desk.outcomes([Request(.returnLoan(loan.id)), Request(.getItem(item.id))])
        let end = try durableLSN(desk)
        #expect(end >= start + 2)

        let records = try records(follower, id: id, through: end)
        #expect(records.map(\.lsn) == Array(start...end), "every record, in order, without gaps")
        let events = records.flatMap { $0.record.attributedEvents() }
        let token = try adminTokenID()
        #expect(events.allSatisfy { $0.actor == token && $0.sequence != nil })
        #expect(events.contains { $0.event == .itemCreated(item) })
        #expect(events.contains { if case .loanCreated(let created) = $0.event { created.id == loan.id } else { false } })
        #expect(events.contains { if case .loanReturned(let returned, _, _, _, _) = $0.event { returned == loan.id } else { false } })
    }

    @Test func aReconnectingSubscriberResumesFromItsPosition() throws {
        let desk = try FrameClient(port: server.protocolPort)
        _ = try desk.hello()
        for index in 0..<5 { _ = try desk.outcomes([Samples.item(index)]) }
        let end = try durableLSN(desk)

        let everything = try FrameClient(port: server.protocolPort)
        _ = try everything.hello()
        let all = try records(everything, id: try everything.send(.subscribe, EventFrames.encodeSubscribe(from: 1)), through: end)
        #expect(all.map(\.lsn) == Array(1...end))

        // A client that saw records up to `middle` reconnects and continues right after it.
        let middle = end - 3
        let resumed = try FrameClient(port: server.protocolPort)
        _ = try resumed.hello()
        let rest = try records(resumed, id: try resumed.send(.subscribe, EventFrames.encodeSubscribe(from: middle + 1)), through: end)
        #expect(rest.map(\.lsn) == Array((middle + 1)...end))
        #expect(rest.map(\.record) == all.suffix(3).map(\.record))
    }

    @Test func jsonSubscribersGetAttributedEvents() throws {
        let desk = try FrameClient(port: server.protocolPort)
        _ = try desk.hello()
        let item = try #require(try desk.outcomes([Samples.item(1)])[0].item)
        let end = try durableLSN(desk)

        let follower = try FrameClient(port: server.protocolPort)
        try follower.send(.hello, Array(#"{"token": "\#(ServerProcess.adminToken)"}"#.utf8), format: .json)
        #expect(try follower.receive().header.opcode == .welcome)
        try follower.send(.subscribe, Array(#"{"from": \#(end)}"#.utf8), format: .json)
        let confirmation = try follower.receive()
        #expect(confirmation.json["next"] as? Int == Int(end) && (confirmation.json["events"] as? [Any])?.isEmpty == true)
        let answer = try follower.receive()
        #expect(answer.header.opcode == .events && answer.header.format == .json)
        #expect(answer.json["next"] as? Int == Int(end) + 1)
        let events = answer.json["events"] as? [[String: Any]] ?? []
        let created = try #require(events.first { $0["type"] as? String == "item_created" })
        #expect(created["id"] as? String == "\(end).0" && created["lsn"] as? Int == Int(end))
        #expect(created["token"] as? String == (try adminTokenID()))
        #expect((created["item"] as? [String: Any])?["id"] as? Int == Int(item.id.rawValue))
        #expect(created["sequence"] is Int && created["at"] is String)
    }

    @Test func subscriptionsThatCannotStartAreRefusedClearly() throws {
        let anonymous = try FrameClient(port: server.protocolPort)
        try anonymous.send(.subscribe, EventFrames.encodeSubscribe(from: 1))
        #expect(try anonymous.receive().refusal?.code == .unauthenticated)

        let client = try FrameClient(port: server.protocolPort)
        _ = try client.hello()
        let end = try durableLSN(client)
        try client.send(.subscribe, EventFrames.encodeSubscribe(from: end + 2))
        #expect(try client.receive().refusal?.code == .positionAhead)
        try client.send(.subscribe, [1, 2, 3])
        #expect(try client.receive().refusal?.code == .malformedRequest)
        let id = try client.send(.subscribe, EventFrames.encodeSubscribe(from: nil))
        #expect(try client.receive().header.opcode == .events)
        try client.send(.subscribe, EventFrames.encodeSubscribe(from: nil))
        let second = try client.receive()
        #expect(second.refusal?.code == .malformedRequest && second.header.requestID == id + 1)

        // A read-only token may follow the stream (it may read everything anyway).
        let reader = try #require(
            try http("POST", port: server.httpPort, "/api/v1/tokens", token: ServerProcess.adminToken, body: ["role": "read_only", "name": "audit"]).object["token"] as? String)
        let auditor = try FrameClient(port: server.protocolPort)
        _ = try auditor.hello(reader)
        try auditor.send(.subscribe, EventFrames.encodeSubscribe(from: 1))
        #expect(try auditor.receive().header.opcode == .events)
    }

    /// SSE messages (`id`, `event`, `data`) from a streaming GET, until `count` of them arrived.
    func serverSentEvents(path: String, headers: [String: String] = [:], count: Int) throws -> (status: Int, events: [(id: String, type: String, data: [String: Any])]) {
        let socket = try RawSocket(port: server.httpPort, timeoutSeconds: 20)
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(ServerProcess.adminToken)\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        try socket.send(Array((request + "\r\n").utf8))
        var text = ""
        var events: [(id: String, type: String, data: [String: Any])] = []
        let deadline = Date().addingTimeInterval(20)
        while events.count < count, Date() < deadline {
            guard let chunk = try socket.receiveSome() else { break }
            text += String(decoding: chunk, as: UTF8.self)
            events = []
            // Chunk-size lines end in CRLF, which Swift reads as one Character: split on both.
            let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            for (index, line) in lines.enumerated() where line.hasPrefix("id: ") && index + 2 < lines.count {
                guard lines[index + 1].hasPrefix("event: "), lines[index + 2].hasPrefix("data: ") else { continue }
                let data = try JSONSerialization.jsonObject(with: Data(lines[index + 2].dropFirst(6).utf8)) as? [String: Any] ?? [:]
                events.append((String(line.dropFirst(4)), String(lines[index + 1].dropFirst(7)), data))
            }
        }
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(text.contains("content-type: text/event-stream") || text.contains("Content-Type: text/event-stream"))
        return (status, events)
    }

    @Test func serverSentEventsResumeRightAfterTheLastEventID() throws {
        let desk = try FrameClient(port: server.protocolPort)
        _ = try desk.hello()
        // One batch with several events: the resume point falls inside a record.
        _ = try desk.outcomes([Samples.item(2), Samples.item(3), Samples.member(7)])
        let end = try durableLSN(desk)

        let all = try serverSentEvents(path: "/api/v1/events?from=\(end)", count: 3)
        #expect(all.status == 200)
        #expect(all.events.map(\.id) == ["\(end).0", "\(end).1", "\(end).2"])
        #expect(all.events.map(\.type) == ["item_created", "item_created", "member_registered"])
        #expect(all.events.allSatisfy { $0.data["token"] as? String == (try? adminTokenID()) })

        let resumed = try serverSentEvents(path: "/api/v1/events", headers: ["Last-Event-ID": "\(end).0"], count: 2)
        #expect(resumed.events.map(\.id) == ["\(end).1", "\(end).2"])

        #expect(try http("GET", port: server.httpPort, "/api/v1/events?from=\(end + 5)", token: ServerProcess.adminToken).errorName == "POSITION_AHEAD")
        #expect(try http("GET", port: server.httpPort, "/api/v1/events?from=x", token: ServerProcess.adminToken).errorName == "MALFORMED_REQUEST")
        #expect(try http("GET", port: server.httpPort, "/api/v1/events").errorName == "UNAUTHENTICATED")
    }

    /// Streams never end by themselves: a graceful stop must end them, not wait for them.
    @Test func openStreamsDoNotHoldUpAGracefulStop() throws {
        let follower = try FrameClient(port: server.protocolPort)
        _ = try follower.hello()
        try follower.send(.subscribe, EventFrames.encodeSubscribe(from: nil))
        #expect(try follower.receive().header.opcode == .events)
        let stream = try RawSocket(port: server.httpPort)
        try stream.send(Array("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(ServerProcess.adminToken)\r\n\r\n".utf8))
        #expect(String(decoding: try #require(try stream.receiveSome()), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        let began = Date()
        #expect(server.stop(signal: SIGTERM, timeoutSeconds: 10) == 0)
        #expect(Date().timeIntervalSince(began) < 5)
    }

    /// A revoked token's stream ends with an ERROR frame, and the connection is free to try again.
    @Test func aRevokedTokensStreamEnds() throws {
        let created = try http("POST", port: server.httpPort, "/api/v1/tokens", token: ServerProcess.adminToken, body: ["role": "read_only", "name": "temp"]).object
        let token = try #require(created["token"] as? String)
        let tokenID = try #require((created["record"] as? [String: Any])?["id"] as? String ?? created["id"] as? String)
        let follower = try FrameClient(port: server.protocolPort)
        _ = try follower.hello(token)
        let id = try follower.send(.subscribe, EventFrames.encodeSubscribe(from: nil))
        #expect(try follower.receive().header.opcode == .events)
        #expect(try http("DELETE", port: server.httpPort, "/api/v1/tokens/\(tokenID)", token: ServerProcess.adminToken).status == 204)
        let desk = try FrameClient(port: server.protocolPort)
        _ = try desk.hello()
        _ = try desk.outcomes([Samples.item(4)])
        let ended = try follower.receive()
        #expect(ended.header.requestID == id && ended.refusal?.code == .unauthenticated)
        try follower.send(.subscribe, EventFrames.encodeSubscribe(from: nil))
        #expect(try follower.receive().refusal?.code == .unauthenticated, "not 'already follows'")
    }
}
