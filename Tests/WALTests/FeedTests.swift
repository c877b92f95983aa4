import Engine
import Testing
import WAL

/// The event stream's source: subscriptions hand out exactly the committed records, in LSN
/// order, from memory or read back from the segments, across restarts, and say clearly when a
/// position is gone or not yet written.
@Suite struct FeedTests {
    static let batches = WALFixture.batches(seed: 23, count: 300)

    /// Who sent each batch's commands: runs of one to three commands, from three tokens.
    static func actors(ofBatch index: Int) -> [ActorRun] {
        var runs: [ActorRun] = []
        var left = batches[index].count
        var turn = index
        while left > 0 {
            let count = min(left, 1 + turn % 3)
            runs.append(ActorRun(actor: "token-\(turn % 3)", count: count))
            left -= count
            turn += 1
        }
        return runs
    }

    /// The actor of command `offset` of batch `index`.
    static func actor(ofBatch index: Int, command offset: Int) -> String {
        var end = 0
        for run in actors(ofBatch: index) {
            end += run.count
            if offset < end { return run.actor }
        }
        return ""
    }

    static func namedBatches(count: Int) -> [[Request]] { Array(batches.prefix(count)) }

    static func open(_ storage: any Storage, segmentBytes: UInt64 = 16 << 10, recentBytesMax: Int = 16 << 20, clock: ManualClock = ManualClock(WALFixture.start)) async throws -> Database {
        var configuration = WALFixture.configuration("/data", segmentBytes: segmentBytes)
        configuration.feedRecentBytesMax = recentBytesMax
        return try await Database.open(configuration, storage: storage, clock: clock, log: WALFixture.quiet)
    }

    /// Runs batches `range` on the clock schedule of `WALFixture.loggedRecords`.
    static func run(_ batches: [[Request]], _ range: Range<Int>, on database: Database, clock: ManualClock, snapshotAt: Set<Int> = []) async throws {
        for index in range {
            clock.set(WALFixture.time(ofBatch: index))
            _ = try await database.execute(batches[index], actors: actors(ofBatch: index))
            if snapshotAt.contains(index) { try await database.snapshot() }
        }
    }

    /// Reads `count` records from a subscription; each read stays within `maxBytes` of payload
    /// unless it is one record.
    static func take(_ count: Int, from subscription: inout LogSubscription, maxBytes: Int = 4096) async throws -> [LogRecord] {
        var records: [LogRecord] = []
        while records.count < count {
            guard let more = try await subscription.next(maxBytes: maxBytes) else { break }
            #expect(more.count == 1 || more.reduce(0) { $0 + $1.payload.count } <= maxBytes, "a read of \(more.count) records over \(maxBytes) bytes")
            records += more
        }
        return records
    }

    /// Writes the batches and checks what subscriptions from several positions see, with the
    /// records in memory and with a memory too small for any (so all are read from disk).
    @Test(arguments: [16 << 20, 0])
    func subscriptionsSeeExactlyTheLoggedRecords(recentBytesMax: Int) async throws {
        let storage = SimulatedStorage()
        let batches = Self.namedBatches(count: 120)
        let clock = ManualClock(WALFixture.start)
        let database = try await Self.open(storage, recentBytesMax: recentBytesMax, clock: clock)
        try await Self.run(batches, 0..<batches.count, on: database, clock: clock)
        let expected = await WALFixture.loggedRecords(batches)
        #expect(try storage.list("/data").filter { LogFormat.firstLSN(ofSegment: $0) != nil }.count >= 2, "the records span several segments")
        for start in [1, 2, 57, expected.count] {
            var subscription = try database.subscribe(from: UInt64(start))
            let records = try await Self.take(expected.count - start + 1, from: &subscription)
            #expect(records.map(\.lsn) == Array(UInt64(start)...UInt64(expected.count)))
            let decoded = try records.map { try $0.batchRecord() }
            #expect(decoded.map(\.events) == expected[(start - 1)...].map(\.events))
            for (offset, record) in decoded.enumerated() {
                for event in record.attributedEvents() {
                    let sequence = try #require(event.sequence)
                    #expect(event.actor == Self.actor(ofBatch: start - 1 + offset, command: Int(sequence - record.firstSequence)))
                }
            }
            subscription.close()
        }
        await database.close()
    }

    @Test func aSubscriptionFromTheEndWaitsForNewRecords() async throws {
        let storage = SimulatedStorage()
        let batches = Self.namedBatches(count: 40)
        let database = try await Self.open(storage)
        for batch in batches[0..<20] { _ = try await database.execute(batch) }
        var subscription = try database.subscribe(from: nil)
        #expect(subscription.nextLSN == 21)
        let reader = Task { [subscription] in
            var following = subscription
            return try await Self.take(20, from: &following, maxBytes: 1)
        }
        for batch in batches[20...] { _ = try await database.execute(batch) }
        let records = try await reader.value
        #expect(records.map(\.lsn) == Array(21...40))
        // Waiting at the end ends when the task is cancelled, and when the log closes.
        let waiting = Task { [subscription] in
            var following = subscription
            return try await following.next(maxBytes: 1 << 20)
        }
        waiting.cancel()
        #expect(try await waiting.value == nil)
        let closing = Task {
            var following = try database.subscribe(from: nil)
            return try await following.next(maxBytes: 1 << 20)
        }
        try await Task.sleep(nanoseconds: 20_000_000)
        await database.close()
        #expect(try await closing.value == nil)
        subscription.close()
    }

    @Test func positionsPastTheEndAreRefused() async throws {
        let database = try await Self.open(SimulatedStorage())
        for batch in Self.namedBatches(count: 12) { _ = try await database.execute(batch) }
        #expect(throws: FeedError.positionAhead(requested: 14, durable: 12)) { try database.subscribe(from: 14) }
        #expect(throws: FeedError.positionAhead(requested: 0, durable: 12)) { try database.subscribe(from: 0) }
        #expect(try database.subscribe(from: 13).nextLSN == 13)
        await database.close()
    }

    /// After snapshots prune the log, the old positions are gone with a clear answer naming the
    /// oldest kept; from there on everything is readable, also after a restart.
    @Test func prunedHistoryIsRefusedAndTheRestReadsAfterARestart() async throws {
        let storage = SimulatedStorage()
        let batches = Self.namedBatches(count: 300)
        let clock = ManualClock(WALFixture.start)
        var database = try await Self.open(storage, recentBytesMax: 0, clock: clock)
        try await Self.run(batches, 0..<batches.count, on: database, clock: clock, snapshotAt: [75, 150, 225])
        await database.close()
        database = try await Self.open(storage)
        let oldest = try #require(try LogReader.oldestLSN(directory: "/data", storage: storage))
        #expect(oldest > 1)
        #expect(throws: FeedError.historyUnavailable(requested: 1, oldest: oldest)) { try database.subscribe(from: 1) }
        var subscription = try database.subscribe(from: oldest)
        let records = try await Self.take(300 - Int(oldest) + 1, from: &subscription)
        #expect(records.map(\.lsn) == Array(oldest...300))
        let expected = await WALFixture.loggedRecords(batches)
        #expect(try records.map { try $0.batchRecord().events } == expected[Int(oldest - 1)...].map(\.events))
        subscription.close()
        await database.close()
    }

    /// A durable record that no longer reads back as written is reported, never skipped.
    @Test func aDamagedRecordIsReportedNotSkipped() async throws {
        let storage = SimulatedStorage()
        let database = try await Self.open(storage, segmentBytes: 256 << 10, recentBytesMax: 0)
        for batch in Self.namedBatches(count: 30) { _ = try await database.execute(batch) }
        let path = try RecoveryTests.segment(storage)
        let offsets = RecoveryTests.recordOffsets(storage, path)
        storage.withContents(of: path) { $0[offsets[10] + 20] ^= 0x40 }
        var subscription = try database.subscribe(from: 5)
        await #expect {
            _ = try await Self.take(26, from: &subscription)
        } throws: { error in
            guard case FeedError.unreadable(_, let offset, let lsn, let reason) = error else { return false }
            return lsn == 11 && offset == UInt64(offsets[10]) && reason.contains("checksum")
        }
        await database.close()
    }

    /// A closing log ends a subscription that is still reading its backlog from disk.
    @Test func closingTheLogEndsABacklogReader() async throws {
        let storage = SimulatedStorage()
        let clock = ManualClock(WALFixture.start)
        let database = try await Self.open(storage, recentBytesMax: 0, clock: clock)
        let batches = Self.namedBatches(count: 60)
        try await Self.run(batches, 0..<batches.count, on: database, clock: clock)
        var subscription = try database.subscribe(from: 1)
        #expect(try await subscription.next(maxBytes: 1)?.count == 1)
        await database.close()
        #expect(try await subscription.next(maxBytes: 1) == nil)
    }
}
