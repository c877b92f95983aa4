import Engine
import Testing

@testable import WAL

/// The bound a batch is admitted on must never be below the record it writes.
@Suite struct RecordBoundTests {
    @Test func theBoundCoversEveryRecord() async {
        let clock = ManualClock(WALFixture.start)
        let engine = Engine(configuration: EngineConfiguration(shardCount: 2), clock: clock)
        var batches = WALFixture.batches(seed: 7, count: 60)
        // Imports, returned and active, keyed and not, with the widest optional fields.
        let start = WALFixture.start
        batches.append((1...8).map { member in
            let checkedOut = start.adding(milliseconds: -Int64(member) * 86_400_000)
            return Request(
                .importLoan(
                    LoanImport(
                        member: MemberID(UInt64(member)), item: ItemID(UInt64(member)), checkedOutAt: checkedOut, dueAt: checkedOut.adding(milliseconds: 1),
                        returnedAt: member % 2 == 0 ? start : nil, fineCents: member % 2 == 0 ? 25 : nil, fineOwed: member % 2 == 0)),
                idempotencyKey: member % 3 == 0 ? String(repeating: "k", count: 64) : nil)
        })
        for (index, batch) in batches.enumerated() {
            clock.set(WALFixture.time(ofBatch: index))
            let bound = RecordBound.bytes(batch)
            let record = await engine.execute(batch).record
            #expect(record.canonicalBytes.count <= bound, "batch \(index)")
        }
    }
}

@Suite struct CRC32CTests {
    /// The check value of the CRC-32C catalogue ("123456789"), and the processor's instruction
    /// against the portable code on every length and alignment up to a few words.
    @Test func hardwareAndSoftwareAgree() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        var random = SplitMix64(seed: 3)
        let bytes = (0..<600).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        bytes.withUnsafeBytes { buffer in
            for start in 0..<9 {
                for length in 0..<(buffer.count - start) where length < 80 || length % 37 == 0 {
                    let slice = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + length)])
                    let initial = UInt32(truncatingIfNeeded: random.next())
                    #expect(CRC32C.checksum(slice, initial: initial) == CRC32C.softwareChecksum(slice, initial: initial))
                }
            }
        }
    }
}
