import Engine
import LibraProtocol
import NIOCore
import Testing

/// The worked example of docs/protocol.md, byte for byte: if the encoding changes, this fails
/// and the document must change with it.
@Suite struct DocumentedExampleTests {
    static func hex(_ header: FrameHeader, _ payload: [UInt8]) -> String {
        var buffer = ByteBuffer()
        buffer.writeFrame(header) { $0.writeBytes(payload) }
        return buffer.readableBytesView.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined(separator: " ")
    }

    /// 2026-11-21T10:00:00.000Z
    static let checkedOutAt = Timestamp.startOfDay(CivilDate(year: 2026, month: 11, day: 21).daysSinceEpoch).adding(milliseconds: 10 * 3_600_000)

    static var examples: [(String, String)] {
        let loan = Loan(
            id: 1, item: 42, member: 7, itemType: .book, checkedOutAt: checkedOutAt, dueAt: checkedOutAt.adding(milliseconds: 14 * Timestamp.millisecondsPerDay),
            renewals: 0, returnedAt: nil, fineCents: 0)
        var results = ByteWriter()
        BinaryPayloads.encodeResults([.ok(.loan(loan))], into: &results)
        return [
            ("HELLO", hex(FrameHeader(format: .binary, opcode: .hello, requestID: 1), BinaryPayloads.encodeHello(token: "lbr_0123"))),
            ("BATCH", hex(FrameHeader(format: .binary, opcode: .batch, requestID: 2), BinaryPayloads.encodeBatch([Request(.checkout(member: 7, item: 42), idempotencyKey: "desk-3/000172")]))),
            ("RESULTS", hex(FrameHeader(format: .binary, opcode: .results, requestID: 2), results.bytes)),
            ("ERROR", hex(FrameHeader(format: .binary, opcode: .error, requestID: 3), BinaryPayloads.encodeError(ProtocolRefusal(code: .rateLimited, message: "slow down", field: nil)))),
        ]
    }

    static let documented = [
        ("HELLO", "18 00 00 00 01 00 01 00 01 00 00 00 00 00 00 00 08 00 00 00 6c 62 72 5f 30 31 32 33"),
        ("BATCH", "33 00 00 00 01 00 02 00 02 00 00 00 00 00 00 00 01 00 00 00 01 0d 00 00 00 64 65 73 6b 2d 33 2f 30 30 30 31 37 32 0b 07 00 00 00 00 00 00 00 2a 00 00 00 00 00 00 00"),
        ("RESULTS", "49 00 00 00 01 00 02 80 02 00 00 00 00 00 00 00 01 00 00 00 01 03 01 00 00 00 00 00 00 00 2a 00 00 00 00 00 00 00 07 00 00 00 00 00 00 00 01 00 69 8c fd a1 01 00 00 00 71 a5 45 a2 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00"),
        ("ERROR", "1c 00 00 00 01 00 ff ff 03 00 00 00 00 00 00 00 c0 00 00 09 00 00 00 73 6c 6f 77 20 64 6f 77 6e"),
    ]

    @Test func theDocumentedBytesAreWhatTheEncoderWrites() {
        for ((name, actual), (_, documented)) in zip(Self.examples, Self.documented) {
            #expect(actual == documented, "\(name): \(actual)")
        }
    }
}
