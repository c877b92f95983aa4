import Engine
import Testing
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// Shared helpers: workloads, a shadow engine that predicts the log, temporary directories.
enum WALFixture {
    static let start = Timestamp(rawValue: Int64(CivilDate(year: 2026, month: 11, day: 21).daysSinceEpoch) * Timestamp.millisecondsPerDay + 36_000_000)

    static func configuration(_ directory: String, shards: Int = 2, segmentBytes: UInt64 = 256 << 10, fsync: FsyncMode = .always) -> DatabaseConfiguration {
        DatabaseConfiguration(
            directory: directory, fsync: fsync, segmentBytes: segmentBytes, snapshotIntervalSeconds: nil, snapshotLogBytes: nil,
            engine: EngineConfiguration(shardCount: shards))
    }

    static func temporaryDirectory() -> String {
        var template = Array("/tmp/libra-wal-test-XXXXXX".utf8CString)
        return template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)!) }
    }

    static func removeDirectory(_ path: String) {
        _ = system("rm -rf '\(path)'")
    }

    static let quiet: @Sendable (String) -> Void = { _ in }

    /// A deterministic mixed workload: a catalog and members, then checkout cycles, returns,
    /// payments, reads and keyed repeats, in batches of varying size.
    static func batches(seed: UInt64, count: Int, items: Int = 12, members: Int = 8) -> [[Request]] {
        var random = SeededRandom(seed: seed)
        var batches: [[Request]] = []
        var setup: [Request] = []
        for index in 0..<items {
            setup.append(Request(.createItem(ItemDraft(isbn: "9780306406157", title: "Title \(index)", author: "A", publisher: "P", year: 2000, type: index % 3 == 0 ? .media : .book, copies: Int32(1 + index % 3)))))
        }
        for index in 0..<members {
            setup.append(Request(.registerMember(MemberDraft(email: "m\(index)@example.org", name: "M \(index)", tier: index % 4 == 0 ? "premium" : "standard", cardExpiryDay: start.day + 400))))
        }
        // Small setup batches, so that tests can use small segments.
        stride(from: 0, to: setup.count, by: 2).forEach { batches.append(Array(setup[$0..<min($0 + 2, setup.count)])) }
        var nextLoan: UInt64 = 1
        for _ in batches.count..<max(count, batches.count) {
            var batch: [Request] = []
            for _ in 0..<Int(random.next() % 12 + 1) {
                let member = MemberID(random.next() % UInt64(members) + 1)
                let item = ItemID(random.next() % UInt64(items) + 1)
                let key: String? = random.next() % 4 == 0 ? "key-\(random.next() % 40)" : nil
                switch random.next() % 10 {
                case 0...4:
                    batch.append(Request(.checkout(member: member, item: item), idempotencyKey: key))
                    nextLoan += 1
                case 5, 6: batch.append(Request(.returnLoan(LoanID(random.next() % nextLoan + 1)), idempotencyKey: key))
                case 7: batch.append(Request(.renewLoan(LoanID(random.next() % nextLoan + 1))))
                case 8: batch.append(Request(.getMember(member)))
                default: batch.append(Request(.payFine(member, amountCents: Int64(random.next() % 50 + 1))))
                }
            }
            batches.append(batch)
        }
        return batches
    }

    /// Runs the batches through a plain engine with the same clock schedule and returns the
    /// records the database logs for them, in LSN order.
    static func loggedRecords(_ batches: [[Request]], shards: Int = 1) async -> [BatchRecord] {
        let clock = ManualClock(start)
        let engine = Engine(configuration: EngineConfiguration(shardCount: shards), clock: clock)
        var records: [BatchRecord] = []
        for (index, batch) in batches.enumerated() {
            clock.set(time(ofBatch: index))
            records.append(await engine.execute(batch).record)
        }
        return records
    }

    /// Batches are six hours apart, so that loans fall due and fines accrue.
    static func time(ofBatch index: Int) -> Timestamp { start.adding(milliseconds: Int64(index) * 6 * 3_600_000) }

    static func digest(of records: ArraySlice<BatchRecord>, shards: Int = 3) async -> StateDigest {
        let engine = Engine(configuration: EngineConfiguration(shardCount: shards), clock: ManualClock(start))
        await engine.apply(contentsOf: Array(records))
        return await engine.digest()
    }
}

typealias SeededRandom = SplitMix64
