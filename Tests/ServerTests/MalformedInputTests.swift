import Engine
import Foundation
import LibraProtocol
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile bytes on some connections must not crash the server nor disturb the others.
@Suite(.serialized) struct MalformedInputTests {
    @Test func randomFramesAndGarbageNeverDisturbAGoodConnection() throws {
        let server = try ServerProcess()
        defer { server.stop(signal: SIGKILL); server.removeDirectory() }
        try server.start()
        let good = try FrameClient(port: server.protocolPort)
        _ = try good.hello()
        let item = try #require(try good.outcomes([Samples.item(0, copies: 3)])[0].item)
        var random = SplitMix64(seed: UInt64(UInt32.random(in: 0...UInt32.max)))
        for round in 0..<60 {
            let hostile = try FrameClient(port: server.protocolPort, timeoutSeconds: 5)
            if round % 3 == 0 { _ = try? hostile.hello() }
            // A well-formed header with a random payload, for a random known opcode and format...
            let opcodes: [Opcode] = [.hello, .batch, .ping, Opcode(rawValue: UInt16(truncatingIfNeeded: random.next()))]
            let length = Int(random.next() % 300)
            let payload = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? hostile.send(opcodes[Int(random.next() % 4)], payload, format: random.next() % 2 == 0 ? .binary : .json)
            // ...or plain garbage, which may or may not look like a header.
            if round % 2 == 1 {
                try? hostile.socket.send((0..<Int(random.next() % 200)).map { _ in UInt8(truncatingIfNeeded: random.next()) })
            }
            // The good connection is served throughout.
            let outcome = try good.outcomes([Request(.getItem(item.id))])[0]
            #expect(outcome.item?.id == item.id, "round \(round)")
        }
        #expect(server.isRunning)
    }
}
