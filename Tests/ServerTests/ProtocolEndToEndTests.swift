import Engine
import Foundation
import LibraProtocol
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The binary and JSON protocol against the real server process, frame by frame.
@Suite(.serialized) final class ProtocolEndToEndTests {
    let server: ServerProcess

    init() throws {
        server = try ServerProcess(arguments: ["--connections-max", "8"])
        try server.start()
    }

    deinit {
        server.stop(signal: SIGKILL)
        server.removeDirectory()
    }

    @Test func helloWithABadTokenIsRefusedAndTheConnectionMayTryAgain() throws {
        let client = try FrameClient(port: server.protocolPort)
        #expect(try client.hello("wrong-token").refusal?.code == .unauthenticated)
        #expect(try client.batch([Request(.getItem(1))]).failure?.code == .unauthenticated)
        let welcome = try client.hello()
        #expect(welcome.header.opcode == .welcome)
        #expect(try BinaryPayloads.decodeWelcome(welcome.payload).role == .admin)
    }

    @Test func binaryBatchRunsTheCommandsInOrder() throws {
        let client = try FrameClient(port: server.protocolPort)
        _ = try client.hello()
        let created = try client.outcomes([Samples.item(0, copies: 1), Samples.member(0), Samples.member(1)])
        let item = try #require(created[0].item)
        let first = try #require(created[1].member)
        let second = try #require(created[2].member)
        let answers = try client.outcomes([
            Request(.checkout(member: first.id, item: item.id)), Request(.checkout(member: second.id, item: item.id)), Request(.getItem(item.id)),
        ])
        let loan = try #require(answers[0].loan)
        #expect(loan.member == first.id && loan.item == item.id && loan.isActive)
        #expect(answers[1].refusal?.code == .noCopyAvailable)
        #expect(answers[2].item?.availableCopies == 0)
    }

    @Test func jsonFramesSpeakTheSameCommandsAndCodes() throws {
        let client = try FrameClient(port: server.protocolPort)
        try client.send(.hello, Array(#"{"token":"\#(ServerProcess.adminToken)"}"#.utf8), format: .json)
        let welcome = try client.receive()
        #expect(welcome.header.format == .json && welcome.json["role"] as? String == "admin")
        let batch = """
            {"commands":[
              {"op":"create_item","isbn":"978-0-306-40615-7","title":"Signals","author":"A. Author","year":1984,"type":"book","copies":1},
              {"op":"register_member","email":"json-\(UInt32.random(in: 0...UInt32.max))@example.org","name":"Jay","card_expiry":"2099-12-31"},
              {"op":"get_item","item":999999},
              {"op":"create_item","isbn":"978-0-306-40615-8","title":"Bad","author":"A","year":1984,"type":"book","copies":1}
            ]}
            """
        try client.send(.batch, Array(batch.utf8), format: .json)
        let answer = try client.receive()
        #expect(answer.header.opcode == .results)
        let results = try #require(answer.json["results"] as? [[String: Any]])
        #expect(results.count == 4)
        #expect(results[0]["ok"] as? Bool == true)
        let item = try #require(results[0]["item"] as? [String: Any])
        #expect(item["available_copies"] as? Int == 1 && item["type"] as? String == "book")
        let member = try #require(results[1]["member"] as? [String: Any])
        #expect(member["card_expiry"] as? String == "2099-12-31")
        let notFound = try #require(results[2]["error"] as? [String: Any])
        #expect(notFound["code"] as? Int == 103 && notFound["name"] as? String == "ITEM_NOT_FOUND")
        let invalid = try #require(results[3]["error"] as? [String: Any])
        #expect(invalid["name"] as? String == "INVALID_FIELD" && invalid["field"] as? String == "isbn")
    }

    @Test func pipelinedFramesAreAllAnsweredWithTheirRequestIDs() throws {
        let client = try FrameClient(port: server.protocolPort)
        _ = try client.hello()
        let item = try #require(try client.outcomes([Samples.item(1, copies: 5)])[0].item)
        var sent: Set<UInt64> = []
        for _ in 0..<100 { sent.insert(try client.send(.batch, BinaryPayloads.encodeBatch([Request(.getItem(item.id))]))) }
        var answered: Set<UInt64> = []
        for _ in 0..<100 {
            let answer = try client.receive()
            #expect(answer.header.opcode == .results)
            #expect(try BinaryPayloads.decodeResults(answer.payload).first?.item?.id == item.id)
            answered.insert(answer.header.requestID)
        }
        #expect(answered == sent)
    }

    @Test func malformedPayloadsGetAnErrorFrameAndTheConnectionGoesOn() throws {
        let client = try FrameClient(port: server.protocolPort)
        _ = try client.hello()
        let cases: [(PayloadFormat, Opcode, [UInt8], ErrorCode)] = [
            (.binary, .batch, [1, 0, 0, 0, 99], .malformedRequest),  // one command with tag 99
            (.binary, .batch, [0, 0, 0, 0], .malformedRequest),  // an empty batch
            (.binary, .batch, [0xFF, 0xFF, 0, 0], .tooManyCommands),
            (.json, .batch, Array("{not json".utf8), .malformedRequest),
            (.json, .batch, Array(#"{"commands":[{"op":"checkout","member":1}]}"#.utf8), .malformedRequest),
            (.binary, Opcode(rawValue: 0x0777), [], .unknownOpcode),
        ]
        for (format, opcode, payload, expected) in cases {
            let id = try client.send(opcode, payload, format: format)
            let answer = try client.receive()
            #expect(answer.header.opcode == .error && answer.header.requestID == id)
            let name = format == .binary ? answer.refusal?.code.name : answer.jsonErrorName
            #expect(name == expected.name, "\(expected.name) for \(payload.prefix(8))")
        }
        try client.send(.ping, [])
        #expect(try client.receive().header.opcode == .pong)
    }

    @Test func anOversizedFrameIsSkippedWithoutClosingTheConnection() throws {
        let client = try FrameClient(port: server.protocolPort)
        _ = try client.hello()
        let id = try client.send(.batch, [UInt8](repeating: 0, count: ProtocolLimits.frameBytesMax))
        let answer = try client.receive()
        #expect(answer.header.requestID == id && answer.refusal?.code == .frameTooLarge)
        try client.send(.ping, [])
        #expect(try client.receive().header.opcode == .pong)
    }

    @Test func aBadVersionClosesTheConnection() throws {
        let client = try FrameClient(port: server.protocolPort)
        var bytes = FrameClient.frameBytes(FrameHeader(format: .binary, opcode: .ping, requestID: 5), [])
        bytes[4] = 2
        try client.socket.send(bytes)
        let answer = try client.receive()
        #expect(answer.refusal?.code == .unsupportedVersion)
        #expect(client.socket.isClosedByPeer())
    }

    @Test func theConnectionLimitRefusesTheNextConnection() throws {
        var open: [FrameClient] = []
        // The suite's other tests have closed their connections; wait until the server saw it.
        usleep(200_000)
        for _ in 0..<8 {
            let client = try FrameClient(port: server.protocolPort)
            try client.send(.ping, [])
            #expect(try client.receive().header.opcode == .pong)
            open.append(client)
        }
        let extra = try FrameClient(port: server.protocolPort)
        #expect(try extra.receive().refusal?.code == .tooManyConnections)
        #expect(extra.socket.isClosedByPeer())
        open.removeAll()
    }

    @Test func rolesLimitWhatATokenMayDo() throws {
        let created = try http("POST", port: server.httpPort, "/api/v1/tokens", token: ServerProcess.adminToken, body: ["role": "read_only", "name": "auditor"])
        #expect(created.status == 201)
        let token = try #require(created.object["token"] as? String)
        let client = try FrameClient(port: server.protocolPort)
        #expect(try client.hello(token).header.opcode == .welcome)
        let outcomes = try client.outcomes([Request(.getItem(1)), Samples.item(2), Request(.checkout(member: 1, item: 1))])
        #expect(outcomes[0].refusal?.code != .forbidden)
        #expect(outcomes[1].refusal?.code == .forbidden)
        #expect(outcomes[2].refusal?.code == .forbidden)
    }

    /// Importing history is for administrators only: not even a circulation desk may do it.
    @Test func onlyAnAdminMayImportHistory() throws {
        let created = try http("POST", port: server.httpPort, "/api/v1/tokens", token: ServerProcess.adminToken, body: ["role": "circulation", "name": "desk 9"])
        let token = try #require(created.object["token"] as? String)
        let entry = LoanImport(member: 1, item: 1, checkedOutAt: Timestamp(rawValue: 1_600_000_000_000), dueAt: Timestamp(rawValue: 1_601_000_000_000), returnedAt: Timestamp(rawValue: 1_600_500_000_000))
        let desk = try FrameClient(port: server.protocolPort)
        _ = try desk.hello(token)
        #expect(try desk.outcomes([Request(.importLoan(entry))])[0].refusal?.code == .forbidden)
        let admin = try FrameClient(port: server.protocolPort)
        _ = try admin.hello(ServerProcess.adminToken)
        #expect(try admin.outcomes([Request(.importLoan(entry))])[0].refusal?.code != .forbidden)
    }

    @Test func aTokensRateLimitAnswersRateLimited() throws {
        let created = try http("POST", port: server.httpPort, "/api/v1/tokens", token: ServerProcess.adminToken, body: ["role": "circulation", "name": "kiosk", "rate_limit": 3])
        let token = try #require(created.object["token"] as? String)
        let client = try FrameClient(port: server.protocolPort)
        _ = try client.hello(token)
        #expect(try client.batch([Request(.getItem(1)), Request(.getItem(1)), Request(.getItem(1))]).failure == nil)
        #expect(try client.batch([Request(.getItem(1))]).failure?.code == .rateLimited)
    }

    @Test func aRevokedTokenStopsWorkingOnAnOpenConnection() throws {
        let created = try http("POST", port: server.httpPort, "/api/v1/tokens", token: ServerProcess.adminToken, body: ["role": "circulation", "name": "desk"])
        let token = try #require(created.object["token"] as? String)
        let id = try #require(created.object["id"] as? String)
        let client = try FrameClient(port: server.protocolPort)
        _ = try client.hello(token)
        #expect(try client.batch([Request(.getItem(1))]).failure == nil)
        #expect(try http("DELETE", port: server.httpPort, "/api/v1/tokens/\(id)", token: ServerProcess.adminToken).status == 204)
        #expect(try client.batch([Request(.getItem(1))]).failure?.code == .unauthenticated)
    }
}

extension Result {
    var failure: Failure? { if case .failure(let failure) = self { failure } else { nil } }
}
