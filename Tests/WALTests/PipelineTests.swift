import Engine
import Synchronization
import Testing
import WAL

/// Large records are encoded and appended while the next batches run (`Database.run` returns
/// before its record is in the log). These tests run batches back to back without waiting for
/// durability, through segment rolls and a full disk, and check that the log holds exactly
/// the batches run, in order.
@Suite struct PipelineTests {
    /// A batch of `count` new items: one event each, so that a batch of 300 makes a record large
    /// enough to be appended apart from the gate.
    static func itemBatch(_ round: Int, count: Int = 300) -> [Request] {
        (0..<count).map { Request(.createItem(ItemDraft(isbn: "9780306406157", title: "Pipelined \(round)-\($0)", author: "A", publisher: "P", year: 2000, type: .book, copies: 1))) }
    }

    @Test func recordsRunBackToBackReachTheLogInOrder() async throws {
        let storage = SimulatedStorage()
        // Slow writes, so that several records wait to be appended and written at once.
        storage.latencyMicroseconds = 2_000
        let configuration = WALFixture.configuration("/data", segmentBytes: 1 << 20)
        let database = try await Database.open(configuration, storage: storage, log: WALFixture.quiet)
        var lastLSN: UInt64 = 0
        for round in 0..<40 {
            let (outcomes, lsn) = try await database.run(Self.itemBatch(round))
            #expect(outcomes.allSatisfy { $0.isOK })
            #expect(lsn == lastLSN + 1, "round \(round): LSN \(lsn) after \(lastLSN)")
            lastLSN = lsn
        }
        try await database.waitDurable(lastLSN)
        #expect(database.durableLSN == lastLSN)
        #expect(database.reservedLogBytes == 0, "room still reserved after every record was appended")
        let live = await database.engine.digest()
        #expect(await database.engine.counts().items == 40 * 300)
        await database.close()
        storage.latencyMicroseconds = 0
        let reopened = try await Database.open(configuration, storage: storage, log: WALFixture.quiet)
        #expect(await reopened.engine.digest() == live, "the log does not rebuild the batches run")
        #expect(await reopened.engine.invariantViolations().isEmpty)
        await reopened.close()
    }

    /// Admission reserves each record's room until it is appended: when the disk fills, later
    /// batches are refused with STORAGE_FULL, and every batch that ran is in the log.
    @Test func aFullDiskRefusesLaterBatchesAndKeepsEveryBatchThatRan() async throws {
        let storage = SimulatedStorage()
        storage.capacityBytes = 4 << 20
        storage.latencyMicroseconds = 1_000
        let configuration = WALFixture.configuration("/data", segmentBytes: 1 << 20)
        let database = try await Database.open(configuration, storage: storage, log: WALFixture.quiet)
        var ran: [(round: Int, lsn: UInt64)] = []
        var refusedAt: Int?
        for round in 0..<400 {
            let (outcomes, lsn) = try await database.run(Self.itemBatch(round))
            if outcomes.allSatisfy({ $0.refusal?.code == .storageFull }) {
                refusedAt = round
                break
            }
            #expect(outcomes.allSatisfy { $0.isOK }, "round \(round): \(Set(outcomes.compactMap { $0.refusal?.code }))")
            ran.append((round, lsn))
        }
        #expect(refusedAt != nil, "the disk never filled")
        #expect(ran.count > 10)
        // Every batch that ran becomes durable: the log did not fail and nothing was dropped.
        if let last = ran.last { try await database.waitDurable(last.lsn) }
        #expect(ran.map(\.lsn) == Array(1...UInt64(ran.count)))
        #expect(database.reservedLogBytes == 0, "room still reserved after every record was appended")
        let live = await database.engine.digest()
        #expect(await database.engine.counts().items == ran.count * 300)
        await database.close()
        storage.capacityBytes = nil
        storage.latencyMicroseconds = 0
        let reopened = try await Database.open(configuration, storage: storage, log: WALFixture.quiet)
        #expect(await reopened.engine.digest() == live, "a batch that ran is missing from the log, or out of order")
        #expect(await reopened.engine.invariantViolations().isEmpty)
        await reopened.close()
    }
}

extension PipelineTests {
    /// Small records are appended inline, large ones apart: a small batch run while a large
    /// one's record is still being appended must not overtake it (the LSNs the log gives must
    /// be the ones `run` returned, or it traps), and a snapshot taken meanwhile is consistent.
    @Test func smallAndLargeBatchesInterleavedKeepTheirOrder() async throws {
        let storage = SimulatedStorage()
        storage.latencyMicroseconds = 1_000
        let configuration = WALFixture.configuration("/data", segmentBytes: 1 << 20)
        let database = try await Database.open(configuration, storage: storage, log: WALFixture.quiet)
        var lsns: [UInt64] = []
        var snapshotLSN: UInt64 = 0
        for round in 0..<60 {
            let batch = round % 3 == 0 ? Self.itemBatch(round) : Self.itemBatch(round, count: 1 + round % 5)
            let (outcomes, lsn) = try await database.run(batch)
            #expect(outcomes.allSatisfy { $0.isOK })
            lsns.append(lsn)
            if round == 31 { snapshotLSN = try await database.snapshot() }
        }
        #expect(lsns == Array(1...UInt64(lsns.count)))
        #expect(snapshotLSN == 32)
        try await database.waitDurable(lsns.last!)
        #expect(database.reservedLogBytes == 0)
        let live = await database.engine.digest()
        // Closing right after more pipelined batches, without waiting: close appends them first.
        for round in 60..<64 { _ = try await database.run(Self.itemBatch(round)) }
        let beforeClose = await database.engine.digest()
        await database.close()
        storage.latencyMicroseconds = 0
        let reopened = try await Database.open(configuration, storage: storage, log: WALFixture.quiet)
        #expect(reopened.recoveryReport.snapshotLSN == snapshotLSN)
        #expect(await reopened.engine.digest() == beforeClose, "the records run before close are not all in the log")
        #expect(live != beforeClose)
        #expect(await reopened.engine.invariantViolations().isEmpty)
        await reopened.close()
    }

    /// A subscription sees exactly the pipelined records, in order, each one decoding to the
    /// batch that made it (its first sequence number follows the previous record's commands).
    @Test func aSubscriptionSeesPipelinedRecordsInOrder() async throws {
        let storage = SimulatedStorage()
        storage.latencyMicroseconds = 500
        let database = try await Database.open(WALFixture.configuration("/data", segmentBytes: 1 << 20), storage: storage, log: WALFixture.quiet)
        var subscription = try database.subscribe(from: 1)
        var sizes: [Int] = []
        for round in 0..<24 {
            let batch = round % 4 == 3 ? Self.itemBatch(round, count: 3) : Self.itemBatch(round)
            sizes.append(batch.count)
            _ = try await database.run(batch)
        }
        var records: [LogRecord] = []
        while records.count < sizes.count {
            guard let more = try await subscription.next(maxBytes: 1 << 20) else { break }
            records += more
        }
        #expect(records.map(\.lsn) == Array(1...UInt64(sizes.count)))
        let decoded = try records.map { try $0.batchRecord() }
        #expect(decoded.map { Int($0.commandCount) } == sizes)
        #expect(decoded.map(\.firstSequence) == sizes.indices.map { index in SequenceNumber(1 + sizes.prefix(index).reduce(0, +)) })
        subscription.close()
        await database.close()
    }

    /// A write error while pipelined records wait: the log fails for good, every caller waiting
    /// for a later record is told (none hangs), nothing is appended after, and close returns.
    @Test func aWriteErrorWhileRecordsArePipelinedFailsEveryWaiter() async throws {
        let storage = SimulatedStorage()
        storage.latencyMicroseconds = 1_000
        let database = try await Database.open(WALFixture.configuration("/data", segmentBytes: 1 << 20), storage: storage, log: WALFixture.quiet)
        _ = try await database.execute(Self.itemBatch(0, count: 2))
        storage.failWritesAfter = storage.writeCount + 2
        var lsns: [UInt64] = []
        var threw = false
        for round in 1..<40 {
            do {
                let (_, lsn) = try await database.run(Self.itemBatch(round))
                lsns.append(lsn)
            } catch {
                threw = true
                break
            }
        }
        var failed = 0
        for lsn in lsns {
            do { try await database.waitDurable(lsn) } catch { failed += 1 }
        }
        #expect(failed > 0 || threw, "the write error reached no one")
        // After the failure, nothing is acknowledged, even once the device works again.
        storage.failWritesAfter = nil
        await #expect(throws: WALError.self) { _ = try await database.execute(Self.itemBatch(99, count: 1)) }
        await database.close()
    }
}

/// The log writer's side: room promised to an admitted record stays promised until the record
/// is appended, so records admitted one after another never overcommit a segment.
@Suite struct ReservationTests {
    @Test func admissionsReserveRoomUntilTheirRecordIsAppended() async throws {
        let storage = SimulatedStorage()
        let segmentBytes: UInt64 = 64 << 10
        // Room for the first segment only: the spare cannot be preallocated (a full disk).
        storage.capacityBytes = Int(segmentBytes) + 1024
        try storage.createDirectory("/data")
        let writer = try LogWriter(
            storage: storage, configuration: LogWriter.Configuration(directory: "/data", segmentBytes: segmentBytes),
            position: LogPosition(segment: nil, offset: 0, nextLSN: 1))
        defer { writer.close() }
        let payloadBytes = 10_000
        let recordBytes = LogFormat.recordBytes(payloadBytes: payloadBytes)
        let fits = (Int(segmentBytes) - LogFormat.segmentHeaderBytes) / recordBytes
        // Each admission holds its room although nothing is appended yet.
        for admitted in 0..<fits {
            #expect(await writer.admit(bytes: payloadBytes), "admission \(admitted) of \(fits) refused")
        }
        // One more waits: the disk is full, but the reserved records may take less than their
        // bounds, so it is answered only once they are appended.
        let answered = Flag()
        let waiting = Task {
            let admitted = await writer.admit(bytes: payloadBytes)
            answered.value.store(true, ordering: .sequentiallyConsistent)
            return admitted
        }
        try await Task.sleep(nanoseconds: 200_000_000)
        let answeredEarly = answered.value.load(ordering: .sequentiallyConsistent)
        #expect(!answeredEarly, "room promised twice")
        // Appending smaller records than reserved frees the difference.
        for _ in 0..<fits { _ = try writer.append([UInt8](repeating: 7, count: payloadBytes / 2), reservedBytes: payloadBytes) }
        let freed = fits * (recordBytes - LogFormat.recordBytes(payloadBytes: payloadBytes / 2))
        #expect(freed >= recordBytes)
        #expect(await waiting.value, "the room freed by smaller records was not given to the waiting admission")
        _ = try writer.append([UInt8](repeating: 8, count: payloadBytes), reservedBytes: payloadBytes)
        // With nothing reserved, a record the segment cannot hold is refused at once.
        let left = Int(segmentBytes) - LogFormat.segmentHeaderBytes - fits * LogFormat.recordBytes(payloadBytes: payloadBytes / 2) - recordBytes
        #expect(await writer.admit(bytes: left) == false)
        try await writer.waitDurable(UInt64(fits + 1))
        #expect(writer.reservedRecordBytes == 0)
    }

    /// The smallest reservation is released too (a release once depended on a bound above 0).
    @Test func theSmallestReservationIsReleased() async throws {
        let storage = SimulatedStorage()
        try storage.createDirectory("/data")
        let writer = try LogWriter(
            storage: storage, configuration: LogWriter.Configuration(directory: "/data", segmentBytes: 64 << 10),
            position: LogPosition(segment: nil, offset: 0, nextLSN: 1))
        defer { writer.close() }
        #expect(await writer.admit(bytes: 1))
        #expect(writer.reservedRecordBytes == UInt64(LogFormat.recordBytes(payloadBytes: 1)))
        _ = try writer.append([7], reservedBytes: 1)
        #expect(writer.reservedRecordBytes == 0)
        try await writer.waitDurable(1)
    }
}

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}

/// A group commit whose records finish one segment and start the next: the records that finish
/// the segment are durable before the next segment's header names the LSN after them. A process
/// killed between the two (or a write failing there) must never leave the log with a gap between
/// segments, which recovery refuses (records missing).
@Suite struct RollOrderTests {
    /// Whole, valid frames of a segment's records, from its header's first LSN on, consecutively:
    /// the LSN after the last one.
    static func nextLSN(after bytes: [UInt8]) -> UInt64? {
        guard case .success(let first) = LogFormat.parseSegmentHeader(Array(bytes.prefix(LogFormat.segmentHeaderBytes))) else { return nil }
        func le(_ offset: Int, _ count: Int) -> UInt64 { (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) } }
        var lsn = first
        var offset = LogFormat.segmentHeaderBytes
        while offset + 16 <= bytes.count {
            let length = Int(le(offset, 4))
            guard length > 0, offset + 16 + length <= bytes.count, le(offset + 8, 8) == lsn,
                CRC32C.checksum(Array(bytes[(offset + 8)..<(offset + 16 + length)])) == UInt32(le(offset + 4, 4))
            else { break }
            lsn += 1
            offset += 16 + length
        }
        return lsn
    }

    @Test(arguments: 1...10)
    func aFailedWriteAroundARollLeavesNoGap(failAt: Int) async throws {
        let storage = SimulatedStorage()
        try storage.createDirectory("/data")
        let segmentBytes: UInt64 = 64 << 10
        let writer = try LogWriter(
            storage: storage, configuration: LogWriter.Configuration(directory: "/data", segmentBytes: segmentBytes),
            position: LogPosition(segment: nil, offset: 0, nextLSN: 1))
        // Five records of 10 KB, each written and synced on its own (2 counted operations each,
        // after the 2 of the header): the first segment has about 14 KB left.
        for lsn in 1...5 {
            #expect(await writer.admit(bytes: 10_000))
            _ = try writer.append([UInt8](repeating: 1, count: 10_000), reservedBytes: 10_000)
            try await writer.waitDurable(UInt64(lsn))
        }
        storage.failWritesAfter = 12 + failAt
        storage.latencyMicroseconds = 3_000
        // A small record keeps the writer busy while two more queue behind it: the first of those
        // fits the first segment, the second starts the next one, in one group commit (or all
        // three go together: the same roll in the middle of a write).
        var last: UInt64 = 5
        for bytes in [100, 10_000, 10_000] {
            guard await writer.admit(bytes: bytes) else { break }
            if let lsn = try? writer.append([UInt8](repeating: 2, count: bytes), reservedBytes: bytes) { last = lsn }
        }
        try? await writer.waitDurable(last)
        writer.close()
        let segments = LogFormat.segments(among: try storage.list("/data"))
        for (segment, following) in zip(segments, segments.dropFirst()) {
            let bytes = try #require(storage.withContents(of: "/data/" + segment.name) { $0 })
            let header = try #require(storage.withContents(of: "/data/" + following.name) { Array($0.prefix(LogFormat.segmentHeaderBytes)) })
            // A following segment whose header never became whole is a torn creation, not a gap.
            guard case .success(let first) = LogFormat.parseSegmentHeader(header) else { continue }
            #expect(Self.nextLSN(after: bytes) == first, "failing from write \(failAt): \(segment.name) ends before \(following.name) begins")
        }
    }
}
