import Engine
import Foundation
import Testing
import WAL

/// The worked example of docs/log-format.md, byte for byte: if the record layout changes, this
/// fails and the document must change with it.
@Suite struct LogFormatExampleTests {
    /// 2026-11-21T10:00:00.000Z
    static let checkedOutAt = Timestamp.startOfDay(CivilDate(year: 2026, month: 11, day: 21).daysSinceEpoch).adding(milliseconds: 10 * 3_600_000)

    /// A checkout by member 2 of item 5 (a book), sequence number 42, sent with the token whose
    /// id is a1b2c3d4e5f6, creating loan 3 due at the end of 2026-12-05, logged as LSN 7.
    static func exampleBytes() -> [UInt8] {
        let dueAt = Timestamp.startOfDay(CivilDate(year: 2026, month: 12, day: 6).daysSinceEpoch).adding(milliseconds: -1)
        let loan = Loan(id: 3, item: 5, member: 2, itemType: .book, checkedOutAt: checkedOutAt, dueAt: dueAt, renewals: 0, returnedAt: nil, fineCents: 0)
        let record = BatchRecord(
            firstSequence: 42, commandCount: 1, timestamp: checkedOutAt, nextItemID: 6, nextMemberID: 3, nextLoanID: 4, events: [.loanCreated(loan)],
            actors: ["a1b2c3d4e5f6"], sources: [EventSource(command: 0, actor: 0, eventCount: 1)])
        var bytes: [UInt8] = []
        LogFormat.appendRecord(lsn: 7, payload: record.canonicalBytes, to: &bytes)
        return bytes
    }

    /// The hex bytes at the start of each line of the document's example block.
    static func documentedBytes() throws -> [UInt8] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("docs/log-format.md"), encoding: .utf8)
        let block = try #require(text.components(separatedBy: "### Worked example").last?.components(separatedBy: "```").dropFirst().first)
        var bytes: [UInt8] = []
        for line in block.split(separator: "\n") where !line.hasPrefix("--") {
            // The bytes, then two or more spaces, then what they mean.
            let hex = line.components(separatedBy: "  ").first ?? ""
            for token in hex.split(separator: " ") {
                guard token.count == 2, let byte = UInt8(token, radix: 16) else { break }
                bytes.append(byte)
            }
        }
        return bytes
    }

    @Test func theDocumentedBytesAreWhatTheLogWrites() throws {
        let actual = Self.exampleBytes()
        #expect(try Self.documentedBytes() == actual, "\(actual.map { String(format: "%02x", $0) }.joined(separator: " "))")
    }
}
