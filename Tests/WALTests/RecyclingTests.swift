import Engine
import Testing
import WAL

/// Segments that a snapshot retired are reused as the log's next segments (`LogWriter.recycle`):
/// they still hold records of their earlier use after the end of the log, which recovery must
/// never replay, never take for a record that follows a bad one, and never count as torn.
@Suite struct RecyclingTests {
    static let segmentBytes: UInt64 = 16 << 10

    static func open(_ storage: SimulatedStorage, clock: ManualClock, log: @escaping @Sendable (String) -> Void = WALFixture.quiet) async throws -> Database {
        try await Database.open(WALFixture.configuration("/data", segmentBytes: segmentBytes), storage: storage, clock: clock, log: log)
    }

    /// Runs `batches[range]`, with a snapshot after every `snapshotEvery`-th, and closes; returns
    /// the log's counters.
    static func run(_ storage: SimulatedStorage, _ batches: [[Request]], _ range: Range<Int>, snapshotEvery: Int) async throws -> LogWriter.Statistics {
        let clock = ManualClock(WALFixture.start)
        let database = try await open(storage, clock: clock)
        for index in range {
            clock.set(WALFixture.time(ofBatch: index))
            _ = try await database.execute(batches[index])
            if index % snapshotEvery == snapshotEvery - 1 { try await database.snapshot() }
        }
        let statistics = database.logStatistics
        await database.close()
        return statistics
    }

    struct Record {
        var offset: Int
        var lsn: UInt64
        var size: Int
    }

    static func le<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, as: T.Type) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size { value |= T(bytes[offset + index]) << (8 * index) }
        return value
    }

    /// A whole, valid record frame at `offset` (length, checksum of LSN and payload), if any.
    static func frame(_ bytes: [UInt8], at offset: Int) -> Record? {
        guard offset + 16 <= bytes.count else { return nil }
        let length = Int(le(bytes, offset, as: UInt32.self))
        guard length > 0, offset + 16 + length <= bytes.count else { return nil }
        guard CRC32C.checksum(Array(bytes[(offset + 8)..<(offset + 16 + length)])) == le(bytes, offset + 4, as: UInt32.self) else { return nil }
        return Record(offset: offset, lsn: le(bytes, offset + 8, as: UInt64.self), size: 16 + length)
    }

    /// The segment's records of this use (LSNs on from its header's), and where they end.
    static func records(_ bytes: [UInt8]) -> (first: UInt64, records: [Record], end: Int) {
        let first = le(bytes, 16, as: UInt64.self)
        var records: [Record] = []
        var offset = LogFormat.segmentHeaderBytes
        while let record = frame(bytes, at: offset), record.lsn == first + UInt64(records.count) {
            records.append(record)
            offset += record.size
        }
        return (first, records, offset)
    }

    /// Whether a whole record with an LSN below `first` (of an earlier use) lies after `end`.
    static func holdsOlderRecord(_ bytes: [UInt8], after end: Int, first: UInt64) -> Bool {
        (end..<bytes.count).contains { offset in
            guard bytes[offset] != 0, let record = frame(bytes, at: offset) else { return false }
            return record.lsn >= 1 && record.lsn < first
        }
    }

    static func segmentNames(_ storage: SimulatedStorage) throws -> [String] {
        try storage.list("/data").filter { LogFormat.firstLSN(ofSegment: $0) != nil }.sorted { LogFormat.firstLSN(ofSegment: $0)! < LogFormat.firstLSN(ofSegment: $1)! }
    }

    @Test func retiredSegmentsAreReusedAndTheirOlderRecordsIgnored() async throws {
        let storage = SimulatedStorage()
        let batches = WALFixture.batches(seed: 21, count: 900)
        let records = await WALFixture.loggedRecords(batches)
        let statistics = try await Self.run(storage, batches, 0..<600, snapshotEvery: 10)
        #expect(statistics.segmentsRecycled > 0, "no retired segment was reused")
        // Segments in use still hold bytes of their earlier use after the end of their records
        // (and its zero frame header).
        let reused = try Self.segmentNames(storage).filter { name in
            storage.withContents(of: "/data/" + name) { bytes in
                let (_, _, end) = Self.records(bytes)
                return bytes.dropFirst(end + 16).contains { $0 != 0 }
            } ?? false
        }
        #expect(!reused.isEmpty)
        // Retired segments beyond the few kept for reuse were removed.
        let names = try storage.list("/data")
        let olderSnapshot = try #require(names.compactMap { SnapshotFile.lsn(ofName: $0) }.sorted().first)
        let firsts = try Self.segmentNames(storage).map { LogFormat.firstLSN(ofSegment: $0)! }
        let fallback = try #require(firsts.last { $0 <= olderSnapshot + 1 })
        #expect(firsts.filter { $0 < fallback }.count <= LogWriter.recyclableMax, "\(names)")
        #expect(firsts.first! > 1, "\(names)")

        let lines = LogLines()
        let reopened = try await Self.open(storage, clock: ManualClock(WALFixture.start), log: lines.append)
        #expect(reopened.recoveryReport.lastLSN == 600)
        #expect(reopened.recoveryReport.tornBytes == 0)
        #expect(!lines.all.contains { $0.contains("torn") }, "\(lines.all)")
        #expect(await reopened.engine.digest() == (await WALFixture.digest(of: records[0..<600])))
        await reopened.close()

        // The log goes on over reused segments, and a restart finds all of it.
        let more = try await Self.run(storage, batches, 600..<900, snapshotEvery: 10)
        #expect(more.segmentsRecycled > 0)
        let again = try await Self.open(storage, clock: ManualClock(WALFixture.start))
        #expect(again.recoveryReport.lastLSN == 900)
        #expect(again.recoveryReport.tornBytes == 0)
        #expect(await again.engine.digest() == (await WALFixture.digest(of: records[...])))
        #expect(await again.engine.invariantViolations().isEmpty)
        await again.close()
    }

    @Test func aTornWriteOverOlderRecordsIsCutWithoutThem() async throws {
        let storage = SimulatedStorage()
        let batches = WALFixture.batches(seed: 22, count: 400)
        let records = await WALFixture.loggedRecords(batches)
        // The last batch is in no snapshot: its record is the log's alone.
        _ = try await Self.run(storage, batches, 0..<400, snapshotEvery: 7)
        let last = "/data/" + (try Self.segmentNames(storage).last!)
        // Whatever the last segment held before: put an older record (LSN 1) just after the end
        // of the log, as a reused segment would have it.
        let (end, lastRecord) = try #require(storage.withContents(of: last) { bytes -> (Int, Record) in
            let (first, found, end) = Self.records(bytes)
            #expect(first > 1)
            var older: [UInt8] = []
            LogFormat.appendRecord(lsn: 1, payload: Array(repeating: 7, count: 40), to: &older)
            // (The simulated file holds the bytes written; the rest of its allocation reads as zeros.)
            if bytes.count < end + 16 + older.count { bytes.append(contentsOf: repeatElement(0, count: end + 16 + older.count - bytes.count)) }
            bytes.replaceSubrange((end + 16)..<(end + 16 + older.count), with: older)
            return (end, found.last!)
        })

        // A clean end: the zero frame header after the last record ends the log.
        let clean = try await Self.open(storage, clock: ManualClock(WALFixture.start))
        #expect(clean.recoveryReport.lastLSN == 400)
        #expect(clean.recoveryReport.tornBytes == 0)
        await clean.close()

        // A torn last write: its second half and its end marker never reached the disk, which
        // still holds other bytes there, up to the older record.
        storage.withContents(of: last) { bytes in
            for index in (lastRecord.offset + lastRecord.size / 2)..<(end + 16) { bytes[index] = 0xA5 }
        }
        let lines = LogLines()
        let torn = try await Self.open(storage, clock: ManualClock(WALFixture.start), log: lines.append)
        #expect(torn.recoveryReport.lastLSN == 399)
        #expect(torn.recoveryReport.tornBytes == UInt64(end + 16 - lastRecord.offset), "the older record counted as torn")
        #expect(lines.all.contains { $0.contains("torn write") && $0.contains("offset \(lastRecord.offset)") })
        #expect(await torn.engine.digest() == (await WALFixture.digest(of: records.dropLast())))
        await torn.close()
    }
}
