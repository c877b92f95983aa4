import Engine
import NIOConcurrencyHelpers
@testable import Server
import Testing
import WAL

/// The sequencer on a simulated disk: answers only once durable, in order, and nothing at all
/// after the log fails.
@Suite struct SequencerTests {
    static func open(_ storage: SimulatedStorage) async throws -> Database {
        try await Database.open(
            DatabaseConfiguration(directory: "/data", snapshotIntervalSeconds: nil, snapshotLogBytes: nil), storage: storage, log: { _ in })
    }

    @Test func answersComeOnceDurableInOrder() async throws {
        let storage = SimulatedStorage()
        storage.latencyMicroseconds = 200
        let database = try await Self.open(storage)
        let sequencer = Sequencer(database: database, metrics: ServerMetrics()) { message in Issue.record("fatal: \(message)") }
        let running = Task { await sequencer.run() }
        let answers = NIOLockedValueBox<[(index: Int, durable: UInt64, ok: Bool)]>([])
        let frames = 60
        for index in 0..<frames {
            let email = "seq\(index)@example.org"
            let request = Request(.registerMember(MemberDraft(email: email, name: "S", tier: "standard", cardExpiryDay: 30_000)))
            sequencer.submit([request], actor: "test") { result in
                let ok = (try? result.get())?.first?.isOK ?? false
                answers.withLockedValue { $0.append((index, database.durableLSN, ok)) }
            }
            if index % 10 == 0 { try await Task.sleep(nanoseconds: 1_000_000) }
        }
        sequencer.close()
        await running.value
        let seen = answers.withLockedValue { $0 }
        #expect(seen.map(\.index) == Array(0..<frames))
        let allOK = seen.allSatisfy(\.ok)
        #expect(allOK)
        // Each answer left once at least its own record was durable.
        let ordered = zip(seen, seen.dropFirst()).allSatisfy { $0.durable <= $1.durable }
        let durable = seen.allSatisfy { $0.durable >= 1 }
        #expect(ordered && durable)
        #expect(database.logStatistics.records >= 1 && database.logStatistics.records <= UInt64(frames))
        await database.close()
    }

    /// A frame whose log record could outgrow what one record may hold (a quarter segment) is
    /// refused at once with TOO_MANY_COMMANDS and a message saying why; nothing of it runs, and
    /// the frames around it are served.
    @Test func aFrameTooLargeForOneLogRecordIsRefusedUpFront() async throws {
        let storage = SimulatedStorage()
        // 1 MiB segments: at most 256 KiB a record.
        let database = try await Database.open(
            DatabaseConfiguration(directory: "/data", segmentBytes: 1 << 20, snapshotIntervalSeconds: nil, snapshotLogBytes: nil), storage: storage, log: { _ in })
        let sequencer = Sequencer(database: database, metrics: ServerMetrics()) { message in Issue.record("fatal: \(message)") }
        let running = Task { await sequencer.run() }
        let drafts = { (count: Int, prefix: String) in
            (0..<count).map { Request(.createItem(ItemDraft(isbn: "978-0-306-40615-7", title: "\(prefix) \($0) " + String(repeating: "t", count: 200), author: "A", publisher: "P", year: 2000, type: .book, copies: 1))) }
        }
        let results = NIOLockedValueBox<[String: Result<[Outcome], SequencerFailure>]>([:])
        for (name, requests) in [("small", drafts(10, "s")), ("large", drafts(4_000, "l")), ("after", drafts(10, "a"))] {
            sequencer.submit(requests, actor: "test") { result in results.withLockedValue { $0[name] = result } }
        }
        sequencer.close()
        await running.value
        let seen = results.withLockedValue { $0 }
        guard case .failure(.recordTooLarge(let bound, let limit)) = seen["large"] else {
            Issue.record("the large frame was not refused up front: \(String(describing: seen["large"]))")
            return
        }
        #expect(bound > limit && limit == Int(database.maxRecordBytes))
        #expect(Gateway.refusal(.recordTooLarge(boundBytes: bound, limitBytes: limit)).code == .tooManyCommands)
        #expect((try? seen["small"]?.get())?.allSatisfy(\.isOK) == true)
        #expect((try? seen["after"]?.get())?.allSatisfy(\.isOK) == true)
        // Only the 20 items of the two small frames exist.
        #expect(await database.engine.counts().items == 20)
        await database.close()
    }

    /// Frames queued with `wake: false` (an event loop's pass over its connections) wait for
    /// `wake()`, then run as one batch: one log record.
    @Test func framesQueuedWithoutWakingRunTogetherOnWake() async throws {
        let storage = SimulatedStorage()
        let database = try await Self.open(storage)
        let sequencer = Sequencer(database: database, metrics: ServerMetrics()) { message in Issue.record("fatal: \(message)") }
        let running = Task { await sequencer.run() }
        // Let the sequencer reach its idle wait.
        var parkWait = 0
        while !sequencer.isParked, parkWait < 500 {
            try await Task.sleep(nanoseconds: 10_000_000)
            parkWait += 1
        }
        #expect(sequencer.isParked)
        let answered = NIOLockedValueBox(0)
        let frames = 10
        for index in 0..<frames {
            let request = Request(.registerMember(MemberDraft(email: "tick\(index)@example.org", name: "T", tier: "standard", cardExpiryDay: 30_000)))
            sequencer.submit([request], actor: "test", wake: false) { result in
                if (try? result.get())?.first?.isOK == true { answered.withLockedValue { $0 += 1 } }
            }
        }
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(answered.withLockedValue { $0 } == 0)
        #expect(database.logStatistics.records == 0)
        sequencer.wake()
        var waited = 0
        while answered.withLockedValue({ $0 }) < frames, waited < 500 {
            try await Task.sleep(nanoseconds: 10_000_000)
            waited += 1
        }
        #expect(answered.withLockedValue { $0 } == frames)
        #expect(database.logStatistics.records == 1)
        sequencer.close()
        await running.value
        await database.close()
    }

    @Test func nothingIsAnsweredAfterTheLogFails() async throws {
        let storage = SimulatedStorage()
        let database = try await Self.open(storage)
        let fatal = NIOLockedValueBox<[String]>([])
        let sequencer = Sequencer(database: database, metrics: ServerMetrics()) { message in fatal.withLockedValue { $0.append(message) } }
        let running = Task { await sequencer.run() }
        storage.failWritesAfter = storage.writeCount
        let answered = NIOLockedValueBox(0)
        let request = Request(.registerMember(MemberDraft(email: "doomed@example.org", name: "D", tier: "standard", cardExpiryDay: 30_000)))
        sequencer.submit([request], actor: "test") { result in if case .success = result { answered.withLockedValue { $0 += 1 } } }
        var waited = 0
        while fatal.withLockedValue({ $0.isEmpty }), waited < 500 {
            try await Task.sleep(nanoseconds: 10_000_000)
            waited += 1
        }
        #expect(fatal.withLockedValue { $0.first?.contains("log failure") } == true)
        #expect(answered.withLockedValue { $0 } == 0)
        sequencer.close()
        await running.value
        #expect(answered.withLockedValue { $0 } == 0)
    }
}
