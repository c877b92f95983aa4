import Engine
import Testing
import WAL

@Suite struct RecoveryTests {
    /// Writes `count` batches to a fresh simulated disk and closes it.
    static func written(count: Int, segmentBytes: UInt64 = 256 << 10, snapshotAt: [Int] = []) async throws -> (SimulatedStorage, [BatchRecord]) {
        let storage = SimulatedStorage()
        let batches = WALFixture.batches(seed: 11, count: count)
        let clock = ManualClock(WALFixture.start)
        let database = try await Database.open(WALFixture.configuration("/data", segmentBytes: segmentBytes), storage: storage, clock: clock, log: WALFixture.quiet)
        for (index, batch) in batches.enumerated() {
            clock.set(WALFixture.time(ofBatch: index))
            _ = try await database.execute(batch)
            if snapshotAt.contains(index) { try await database.snapshot() }
        }
        await database.close()
        return (storage, await WALFixture.loggedRecords(batches))
    }

    static func segment(_ storage: SimulatedStorage) throws -> String {
        "/data/" + (try storage.list("/data").first { LogFormat.firstLSN(ofSegment: $0) != nil })!
    }

    /// Byte offsets of each record in a segment.
    static func recordOffsets(_ storage: SimulatedStorage, _ path: String) -> [Int] {
        storage.withContents(of: path) { bytes in
            var offsets: [Int] = []
            var offset = LogFormat.segmentHeaderBytes
            while offset + 16 <= bytes.count {
                let length = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24
                if length == 0 { break }
                offsets.append(offset)
                offset += 16 + length
            }
            return offsets
        } ?? []
    }

    static func open(_ storage: any Storage, options: RecoveryOptions = RecoveryOptions(), log: @escaping @Sendable (String) -> Void = WALFixture.quiet) async throws -> Database {
        var configuration = WALFixture.configuration("/data")
        configuration.recovery = options
        return try await Database.open(configuration, storage: storage, clock: ManualClock(WALFixture.start), log: log)
    }

    @Test func emptyDirectoryStartsEmpty() async throws {
        let database = try await Self.open(SimulatedStorage())
        #expect(database.recoveryReport.lastLSN == 0 && database.recoveryReport.snapshotLSN == 0 && database.recoveryReport.tornBytes == 0)
        #expect(await database.engine.counts().items == 0)
        #expect(await database.engine.counts().members == 0)
        await database.close()
    }

    @Test func tornTailIsCutAndReported() async throws {
        let (storage, records) = try await Self.written(count: 20)
        let path = try Self.segment(storage)
        let last = Self.recordOffsets(storage, path).last!
        // Half of the last record never reached the disk.
        let cut = storage.withContents(of: path) { bytes -> Int in
            let end = bytes.lastIndex { $0 != 0 }! + 1
            let middle = (last + end) / 2
            for index in middle..<end { bytes[index] = 0 }
            // What is left of the record, up to its last non-zero byte, is what gets cut.
            return bytes[last..<middle].lastIndex { $0 != 0 }! + 1 - last
        }!
        let lines = LogLines()
        let database = try await Self.open(storage, log: lines.append)
        #expect(database.recoveryReport.lastLSN == UInt64(records.count - 1))
        #expect(database.recoveryReport.tornBytes == UInt64(cut))
        #expect(lines.all.contains { $0.contains("torn write") && $0.contains("offset \(last)") })
        #expect(await database.engine.digest() == (await WALFixture.digest(of: records.dropLast())))
        await database.close()
    }

    @Test func corruptionInTheMiddleRefusesToStartAndNamesTheOverride() async throws {
        let (storage, records) = try await Self.written(count: 20)
        let path = try Self.segment(storage)
        let offsets = Self.recordOffsets(storage, path)
        storage.withContents(of: path) { $0[offsets[5] + 20] ^= 0x40 }
        await #expect {
            _ = try await Self.open(storage)
        } throws: { error in
            guard case RecoveryError.corruptLog(let file, let offset, let lsn, _) = error else { return false }
            let text = (error as! RecoveryError).description
            return file.hasSuffix(".wal") && offset == UInt64(offsets[5]) && lsn == 6 && text.contains("--truncate-corrupt-log")
        }
        let lines = LogLines()
        let database = try await Self.open(storage, options: RecoveryOptions(truncateCorruptLog: true), log: lines.append)
        #expect(database.recoveryReport.lastLSN == 5)
        #expect(lines.all.contains { $0.contains("OVERRIDE --truncate-corrupt-log") })
        #expect(await database.engine.digest() == (await WALFixture.digest(of: records[0..<5])))
        await database.close()
    }

    @Test func corruptNewestSnapshotFallsBackToTheOlderOneAndALongerLog() async throws {
        let (storage, records) = try await Self.written(count: 30, snapshotAt: [9, 19])
        let snapshots = try storage.list("/data").filter { SnapshotFile.lsn(ofName: $0) != nil }
        #expect(snapshots.count == 2)
        storage.withContents(of: "/data/" + snapshots.last!) { $0[$0.count / 2] ^= 0xFF }
        let lines = LogLines()
        let database = try await Self.open(storage, log: lines.append)
        #expect(database.recoveryReport.snapshotLSN == SnapshotFile.lsn(ofName: snapshots.first!))
        #expect(database.recoveryReport.discardedSnapshots == [snapshots.last!])
        #expect(lines.all.contains { $0.contains("WARNING") && $0.contains(snapshots.last!) })
        #expect(await database.engine.digest() == (await WALFixture.digest(of: records[...])))
        await database.close()
    }

    @Test func snapshotsPruneOldSegmentsButKeepTheFallback() async throws {
        let (storage, records) = try await Self.written(count: 300, segmentBytes: 16 << 10, snapshotAt: [75, 150, 225])
        let names = try storage.list("/data")
        let snapshots = names.compactMap { SnapshotFile.lsn(ofName: $0) }.sorted()
        #expect(names.filter { LogFormat.firstLSN(ofSegment: $0) != nil }.count >= 2, "\(names)")
        #expect(snapshots.count == 2)
        let firstSegment = names.compactMap { LogFormat.firstLSN(ofSegment: $0) }.min()!
        #expect(firstSegment > 1, "old segments were not removed")
        #expect(firstSegment <= snapshots[0] + 1, "the log no longer reaches back to the older snapshot")
        let database = try await Self.open(storage)
        #expect(await database.engine.digest() == (await WALFixture.digest(of: records[...])))
        await database.close()
    }

    @Test func unknownFormatVersionIsAClearError() async throws {
        let (storage, _) = try await Self.written(count: 5)
        let path = try Self.segment(storage)
        storage.withContents(of: path) { bytes in
            bytes[8] = 99
            // Keep the header's checksum valid: only the version is unknown.
            let crc = CRC32C.checksum(Array(bytes[0..<28]))
            for index in 0..<4 { bytes[28 + index] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(index))) }
        }
        await #expect {
            _ = try await Self.open(storage)
        } throws: { error in
            guard case RecoveryError.unknownFormat(_, let detail) = error else { return false }
            return detail.contains("version 99")
        }
        storage.withContents(of: "/data/FORMAT") { $0 = Array("libra-data 7\n".utf8) }
        await #expect(throws: RecoveryError.self) { _ = try await Self.open(storage) }
    }

    @Test func snapshotUnderConcurrentLoadIsConsistent() async throws {
        let storage = SimulatedStorage()
        let database = try await Self.open(storage)
        let batches = WALFixture.batches(seed: 5, count: 80)
        for batch in batches.prefix(5) { _ = try await database.execute(batch) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for batch in batches.dropFirst(5) { _ = try await database.execute(batch) }
            }
            group.addTask {
                for _ in 0..<4 {
                    try await database.snapshot()
                    await Task.yield()
                }
            }
            try await group.waitForAll()
        }
        let live = await database.engine.digest()
        await database.close()
        let reopened = try await Self.open(storage)
        #expect(reopened.recoveryReport.snapshotLSN > 0)
        #expect(await reopened.engine.digest() == live)
        await reopened.close()
    }
}

/// Collects log lines from recovery.
final class LogLines: @unchecked Sendable {
    private var lines: [String] = []
    var all: [String] { lines }
    var append: @Sendable (String) -> Void { { [self] line in self.lines.append(line) } }
}

@Suite struct RecordCheckTests {
    /// An event tag this build does not know (as a newer version could write), in the last
    /// record: the checksum is valid, so it is refused as corruption, never cut as a torn write.
    @Test func aChecksumValidButUndecodableLastRecordIsCorruptionNotATornWrite() async throws {
        let (storage, records) = try await RecoveryTests.written(count: 15)
        let path = try RecoveryTests.segment(storage)
        let end = RecoveryTests.recordOffsets(storage, path).last.map { offset in
            storage.withContents(of: path) { bytes in
                offset + 16 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24)
            }!
        }!
        let last = records.last!
        var payload = BatchRecord(
            firstSequence: last.firstSequence + UInt64(last.commandCount), commandCount: 1, timestamp: last.timestamp,
            nextItemID: last.nextItemID, nextMemberID: last.nextMemberID, nextLoanID: last.nextLoanID, events: [.finePaid(1, amountCents: 1)], actors: [""], sources: EventSource.onePerCommand(1)).canonicalBytes
        // The event's tag byte follows the 44-byte header and the 4-byte event count.
        #expect(payload[48] == 9)
        payload[48] = 250
        var frame: [UInt8] = []
        LogFormat.appendRecord(lsn: UInt64(records.count + 1), payload: payload, to: &frame)
        storage.withContents(of: path) { bytes in
            if bytes.count < end + frame.count { bytes.append(contentsOf: repeatElement(0, count: end + frame.count - bytes.count)) }
            bytes.replaceSubrange(end..<(end + frame.count), with: frame)
        }
        await #expect {
            _ = try await RecoveryTests.open(storage)
        } throws: { error in
            guard case RecoveryError.corruptLog(_, let offset, let lsn, let reason) = error else { return false }
            return offset == UInt64(end) && lsn == UInt64(records.count + 1) && reason.contains("does not decode")
        }
    }

    @Test func aChecksumValidButImpossibleRecordIsCorruption() async throws {
        let (storage, records) = try await RecoveryTests.written(count: 15)
        let path = try RecoveryTests.segment(storage)
        let end = RecoveryTests.recordOffsets(storage, path).last.map { offset in
            storage.withContents(of: path) { bytes in
                offset + 16 + (Int(bytes[offset]) | Int(bytes[offset + 1]) << 8 | Int(bytes[offset + 2]) << 16 | Int(bytes[offset + 3]) << 24)
            }!
        }!
        let last = records.last!
        let impossible = BatchRecord(
            firstSequence: last.firstSequence + UInt64(last.commandCount), commandCount: 1, timestamp: last.timestamp,
            nextItemID: last.nextItemID + 1_000_000_000, nextMemberID: last.nextMemberID, nextLoanID: last.nextLoanID, events: [], actors: [], sources: [])
        var frame: [UInt8] = []
        LogFormat.appendRecord(lsn: UInt64(records.count + 1), payload: impossible.canonicalBytes, to: &frame)
        storage.withContents(of: path) { bytes in
            if bytes.count < end + frame.count { bytes.append(contentsOf: repeatElement(0, count: end + frame.count - bytes.count)) }
            bytes.replaceSubrange(end..<(end + frame.count), with: frame)
        }
        await #expect {
            _ = try await RecoveryTests.open(storage)
        } throws: { error in
            guard case RecoveryError.corruptLog(_, let offset, let lsn, let reason) = error else { return false }
            return offset == UInt64(end) && lsn == UInt64(records.count + 1) && reason.contains("inconsistent") && reason.contains("next item id")
        }
        // The override discards it and keeps everything before it.
        let database = try await RecoveryTests.open(storage, options: RecoveryOptions(truncateCorruptLog: true))
        #expect(database.recoveryReport.lastLSN == UInt64(records.count))
        #expect(await database.engine.digest() == (await WALFixture.digest(of: records[...])))
        await database.close()
    }
}
