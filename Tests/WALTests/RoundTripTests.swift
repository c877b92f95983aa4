import Engine
import Testing
@testable import WAL

@Suite struct RoundTripTests {
    static func run(storage: any Storage, directory: String) async throws {
        let batches = WALFixture.batches(seed: 7, count: 60)
        let clock = ManualClock(WALFixture.start)
        let database = try await Database.open(WALFixture.configuration(directory, segmentBytes: 32 << 10), storage: storage, clock: clock, log: WALFixture.quiet)
        for (index, batch) in batches.enumerated() {
            clock.set(WALFixture.time(ofBatch: index))
            _ = try await database.execute(batch)
            // A snapshot midway: written in whole blocks (past the page cache on real files).
            if index == 29 { try await database.snapshot() }
        }
        let live = await database.engine.digest()
        await database.close()

        let records = await WALFixture.loggedRecords(batches)
        #expect(live == (await WALFixture.digest(of: records[...])))

        let reopened = try await Database.open(WALFixture.configuration(directory, shards: 3, segmentBytes: 32 << 10), storage: storage, clock: clock, log: WALFixture.quiet)
        #expect(reopened.recoveryReport.lastLSN == UInt64(records.count))
        #expect(reopened.recoveryReport.snapshotLSN == 30)
        #expect(reopened.recoveryReport.tornBytes == 0)
        #expect(await reopened.engine.digest() == live)
        #expect(await reopened.engine.invariantViolations().isEmpty)
        await reopened.close()
    }

    @Test func simulatedDisk() async throws {
        try await Self.run(storage: SimulatedStorage(), directory: "/data")
    }

    @Test(arguments: [IOPath.posix, IOPath.uring])
    func realFiles(path: IOPath) async throws {
        if path == .uring, !FileSystemStorage.uringAvailable() { return }
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        try await Self.run(storage: FileSystemStorage(ioPath: path), directory: directory)
    }
}

@Suite struct GroupCommitTests {
    /// Durability callbacks (how the server answers) run in the order registered, each only once
    /// its record is durable, including ones registered after their record already was; after a
    /// write failure every waiting callback is told, and so is every later one, at once.
    @Test func durabilityCallbacksRunInOrderOnceDurable() async throws {
        let storage = SimulatedStorage()
        storage.latencyMicroseconds = 300
        let database = try await Database.open(WALFixture.configuration("/data"), storage: storage, clock: ManualClock(WALFixture.start), log: WALFixture.quiet)
        let seen = Locked<[(index: Int, lsn: UInt64, durable: UInt64, failed: Bool)]>([])
        var last: UInt64 = 0
        var lateRegistrations = 0
        for (index, batch) in WALFixture.batches(seed: 9, count: 40).enumerated() {
            let (_, lsn) = try await database.run(batch)
            // Every third one a little late, so that some are durable before they are registered.
            if index % 3 == 0 { try await Task.sleep(nanoseconds: 2_000_000) }
            if database.durableLSN >= lsn { lateRegistrations += 1 }
            database.whenDurable(lsn) { failure in seen.withLockedValue { $0.append((index, lsn, database.durableLSN, failure != nil)) } }
            last = lsn
        }
        try await database.waitDurable(last)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in database.whenDurable(last) { _ in done.resume() } }
        let calls = seen.withLockedValue { $0 }
        #expect(calls.map(\.index) == Array(0..<40))
        #expect(calls.allSatisfy { !$0.failed && $0.durable >= $0.lsn })
        #expect(lateRegistrations > 0, "no callback was registered after its record was durable")

        // The next write fails: the waiting callback is told, and so is one registered after.
        storage.failWritesAfter = storage.writeCount
        let (_, doomed) = try await database.run([Request(.payFine(MemberID(1), amountCents: 1))])
        let failures = Locked(0)
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            database.whenDurable(doomed) { failure in
                if failure != nil { failures.withLockedValue { $0 += 1 } }
                done.resume()
            }
        }
        database.whenDurable(doomed) { failure in if failure != nil { failures.withLockedValue { $0 += 1 } } }
        #expect(failures.withLockedValue { $0 } == 2)
        await database.close()
    }

    /// Many writers at once on small segments: group commits span segment boundaries, and
    /// everything acknowledged comes back, in order.
    @Test func concurrentWritersAcrossSegmentBoundaries() async throws {
        let storage = SimulatedStorage()
        // Slow enough writes that appends pile up behind each one, even with the rest of the
        // suite running beside it on the same cores: groups are certain, not likely.
        storage.latencyMicroseconds = 1_500
        let clock = ManualClock(WALFixture.start)
        let configuration = WALFixture.configuration("/data", segmentBytes: 12 << 10)
        let database = try await Database.open(configuration, storage: storage, clock: clock, log: WALFixture.quiet)
        for batch in WALFixture.batches(seed: 4, count: 10) { _ = try await database.execute(batch) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for writer in 0..<32 {
                group.addTask {
                    for round in 0..<25 {
                        let member = MemberID(UInt64(writer % 8 + 1))
                        _ = try await database.execute([Request(.payFine(member, amountCents: 1), idempotencyKey: "w\(writer)-\(round)"), Request(.getMember(member))])
                    }
                }
            }
            try await group.waitForAll()
        }
        let statistics = database.logStatistics
        #expect(statistics.records > statistics.writes, "no group commit happened")
        let segments = try storage.list("/data").filter { LogFormat.firstLSN(ofSegment: $0) != nil }
        #expect(segments.count >= 4, "\(segments)")
        let live = await database.engine.digest()
        await database.close()
        let reopened = try await Database.open(configuration, storage: storage, clock: clock, log: WALFixture.quiet)
        #expect(await reopened.engine.digest() == live)
        #expect(reopened.recoveryReport.lastLSN == statistics.records)
        await reopened.close()
    }
}

/// A value shared with callbacks on other threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = RecursiveLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLockedValue<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}

/// The snapshot's block writer on a real file opened for streaming (O_DIRECT where the file
/// system takes it): chunks of every size come out whole, in order, and the file cut to length.
@Suite struct BlockBufferTests {
    @Test func chunksOfAnySizeReachTheFileInOrder() throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let storage = FileSystemStorage(ioPath: .posix)
        let file = try storage.openForStreaming(directory + "/blocks.tmp")
        var random = SeededRandom(seed: 77)
        var expected: [UInt8] = []
        // A small buffer, so that it writes many times, with remainders of every size, and
        // chunks up to several times its size.
        let buffer = BlockBuffer(capacity: 64 << 10, file: file)
        while expected.count < 3 << 20 {
            let size = random.next() % 8 == 0 ? Int(random.next() % 300_000) + 1 : Int(random.next() % 20_000) + 1
            let chunk = (0..<size).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            try buffer.append(chunk)
            expected += chunk
        }
        try buffer.writeAll()
        try file.truncate(to: UInt64(expected.count))
        try file.sync()
        file.close()
        let reader = try storage.open(directory + "/blocks.tmp", create: false)
        defer { reader.close() }
        #expect(try reader.size() == UInt64(expected.count))
        #expect(try reader.read(at: 0, count: expected.count) == expected)
    }
}
