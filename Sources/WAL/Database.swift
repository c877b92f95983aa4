import Engine
import Synchronization

public struct DatabaseConfiguration: Sendable {
    public var directory: String
    public var fsync: FsyncMode
    public var segmentBytes: UInt64
    /// Take a snapshot when this many seconds have passed since the last one (nil: never by time).
    public var snapshotIntervalSeconds: Double?
    /// Take a snapshot when this many log bytes were written since the last one (nil: never by size).
    public var snapshotLogBytes: UInt64?
    public var engine: EngineConfiguration
    public var recovery: RecoveryOptions
    /// Told of every group-commit write (see `LogWriter.WriteObservation`).
    public var logObserver: (@Sendable (LogWriter.WriteObservation) -> Void)?
    /// The newest records kept in memory for event subscribers (older ones are read back from
    /// the segments).
    public var feedRecentBytesMax: Int = 16 << 20

    public init(
        directory: String, fsync: FsyncMode = .always, segmentBytes: UInt64 = 64 << 20, snapshotIntervalSeconds: Double? = 300,
        snapshotLogBytes: UInt64? = 256 << 20, engine: EngineConfiguration = EngineConfiguration(), recovery: RecoveryOptions = RecoveryOptions()
    ) {
        self.directory = directory
        self.fsync = fsync
        self.segmentBytes = segmentBytes
        self.snapshotIntervalSeconds = snapshotIntervalSeconds
        self.snapshotLogBytes = snapshotLogBytes
        self.engine = engine
        self.recovery = recovery
        self.recovery.segmentBytes = segmentBytes
    }
}

/// The engine made durable: every batch that changes state is written to the log, and
/// `execute` returns only when the log holds it (and everything before it) durably.
public actor Database {
    public nonisolated let engine: Engine
    public nonisolated let configuration: DatabaseConfiguration
    public nonisolated let recoveryReport: RecoveryReport
    private let writer: LogWriter
    /// The newest records, for event subscribers (see `subscribe(from:)`).
    public nonisolated let feed: LogFeed
    private let storage: any Storage
    private let log: @Sendable (String) -> Void

    /// The LSN of the last batch run: its record is appended, or being encoded to be (see
    /// `appending`), and not necessarily durable yet.
    private var lastAppended: UInt64
    /// The encoding and appending of the records of batches already run, when it goes on apart
    /// from the gate: each waits for the one before, so records reach the log in run order.
    private var appending: Task<Void, Never>?
    /// Records handed to `appending` and not appended yet. At 0 a record is appended inline.
    private let appendsOutstanding = Atomic<Int>(0)
    /// Records of fewer events are encoded inline (when nothing else is outstanding): handing
    /// them over would cost a task switch for a few microseconds of encoding.
    static let inlineAppendEventsMax = 256
    private var gateBusy = false
    private var gateWaiting: [CheckedContinuation<Void, Never>] = []
    private var snapshotting = false
    private var lastSnapshotTime = monotonicSeconds()
    private var lastSnapshotLogBytes: UInt64 = 0
    private var snapshotLoop: Task<Void, Never>?
    public private(set) var snapshotsTaken = 0

    /// Opens (creating or recovering) the data directory.
    public static func open(
        _ configuration: DatabaseConfiguration, storage: any Storage, clock: any EngineClock = SystemClock(), log: @escaping @Sendable (String) -> Void
    ) async throws -> Database {
        let engine = Engine(configuration: configuration.engine, clock: clock)
        let (position, report) = try await Recovery.recover(into: engine, directory: configuration.directory, storage: storage, options: configuration.recovery, log: log)
        let feed = LogFeed(durableLSN: position.nextLSN - 1, recentBytesMax: configuration.feedRecentBytesMax)
        let writer = try LogWriter(
            storage: storage, configuration: LogWriter.Configuration(
                directory: configuration.directory, segmentBytes: configuration.segmentBytes, fsync: configuration.fsync, observer: configuration.logObserver,
                onDurable: { feed.madeDurable(through: $0) }),
            position: position)
        log("log: \(configuration.directory), io \(storage.ioPath.rawValue), fsync \(configuration.fsync.rawValue), continuing at LSN \(position.nextLSN)")
        if configuration.fsync == .never { log("log: WARNING --fsync never is unsafe: acknowledged writes can be lost if the machine crashes") }
        let database = Database(
            engine: engine, configuration: configuration, report: report, writer: writer, feed: feed, storage: storage, log: log, lastAppended: position.nextLSN - 1)
        await database.startSnapshotLoop()
        return database
    }

    private init(
        engine: Engine, configuration: DatabaseConfiguration, report: RecoveryReport, writer: LogWriter, feed: LogFeed, storage: any Storage,
        log: @escaping @Sendable (String) -> Void, lastAppended: UInt64
    ) {
        self.engine = engine
        self.configuration = configuration
        self.recoveryReport = report
        self.writer = writer
        self.feed = feed
        self.storage = storage
        self.log = log
        self.lastAppended = lastAppended
    }

    public nonisolated var ioPath: IOPath { writer.ioPath }
    public nonisolated var durableLSN: UInt64 { writer.durable }
    /// Log room reserved for records of batches run and not appended yet (see `LogWriter.admit`).
    public nonisolated var reservedLogBytes: UInt64 { writer.reservedRecordBytes }
    public nonisolated var logStatistics: LogWriter.Statistics { writer.statisticsSnapshot }

    /// Runs a batch and returns once it is durable. When the disk is full, writes are refused
    /// with STORAGE_FULL (nothing runs for them) and reads still answer.
    public func execute(_ requests: [Request], actors: [ActorRun] = []) async throws -> [Outcome] {
        let (outcomes, lsn) = try await run(requests, actors: actors)
        // Outside the gate: later batches join this one's write (group commit).
        try await writer.waitDurable(lsn)
        return outcomes
    }

    /// Runs a batch and appends its record, without waiting for it to be durable: the outcomes
    /// may be shown to no one before `waitDurable(lsn)` returns. A pipeline runs the next batch
    /// while this one's write is in flight.
    /// `boundBytes`, when given, is `RecordBound.bytes(requests) + RecordBound.actorBytes(actors)`
    /// already computed by the caller.
    public func run(_ requests: [Request], actors: [ActorRun] = [], boundBytes: Int? = nil) async throws -> (outcomes: [Outcome], lsn: UInt64) {
        await enterGate()
        defer { leaveGate() }
        let bound = boundBytes ?? RecordBound.bytes(requests) + RecordBound.actorBytes(actors)
        guard bound <= maxRecordBytes else { throw WALError.batchTooLarge(boundBytes: bound, limitBytes: maxRecordBytes) }
        if await writer.admit(bytes: bound) {
            let result = await engine.execute(requests, actors: actors)
            lastAppended += 1
            let lsn = lastAppended
            let record = result.record
            if record.events.count < Self.inlineAppendEventsMax, appendsOutstanding.load(ordering: .acquiring) == 0 {
                try Self.append(record, lsn: lsn, bound: bound, writer: writer, feed: feed)
            } else {
                // Encoding a large record takes as long as running a part of the next batch:
                // the next batch runs while this one is encoded (the admission reserved its room).
                appendsOutstanding.add(1, ordering: .relaxed)
                let (previous, writer, feed, outstanding) = (appending, writer, feed, self)
                appending = Task.detached {
                    await previous?.value
                    // A failure stops the log, which tells every waiter (see `append`).
                    try? Self.append(record, lsn: lsn, bound: bound, writer: writer, feed: feed)
                    outstanding.appendsOutstanding.subtract(1, ordering: .releasing)
                }
            }
            return (result.outcomes, lsn)
        }
        return (try await executeReadsOnly(requests), lastAppended)
    }

    /// Encodes a batch's record and appends it, in the feed first: the writer may make it
    /// durable before `append` returns. If it cannot be appended, the engine holds a batch the
    /// log never will and the LSN is taken: the log stops (fail-stop), which tells everyone
    /// waiting for this record or a later one, and the error goes to the caller.
    private static func append(_ record: BatchRecord, lsn: UInt64, bound: Int, writer: LogWriter, feed: LogFeed) throws {
        let payload = record.encodedBytes
        feed.appended(LogRecord(lsn: lsn, payload: payload))
        let appended: UInt64
        do {
            appended = try writer.append(payload, reservedBytes: bound)
        } catch {
            writer.abandon("record \(lsn) could not be appended: \(error)")
            throw error
        }
        precondition(appended == lsn, "the log numbered a record \(appended), the feed \(lsn)")
    }

    /// Waits until every record handed over is appended.
    private func settleAppends() async {
        await appending?.value
        appending = nil
    }

    /// Returns once every record up to `lsn` is durable; throws if the log failed (fail-stop).
    public nonisolated func waitDurable(_ lsn: UInt64) async throws {
        try await writer.waitDurable(lsn)
    }

    /// Calls `callback` on the log's writer thread once everything up to `lsn` is durable (nil),
    /// or at once if the log has failed; in the order registered. See `LogWriter.whenDurable`.
    public nonisolated func whenDurable(_ lsn: UInt64, _ callback: @escaping LogWriter.DurabilityCallback) {
        writer.whenDurable(lsn, callback)
    }

    /// The largest record bound a batch may have: a quarter segment, so that a batch always
    /// fits a fresh segment with room to spare. Callers cut batches to stay below it.
    public nonisolated var maxRecordBytes: Int { Int(configuration.segmentBytes / 4) }

    /// While the disk is full, reads still answer. They run unlogged: they change nothing a
    /// later record does not reproduce (their sequence numbers are simply not reused).
    private func executeReadsOnly(_ requests: [Request]) async throws -> [Outcome] {
        var outcomes = requests.map { $0.command.isRead ? nil : Outcome.refused(Refusal(.storageFull)) }
        let reads = requests.filter { $0.command.isRead }
        guard !reads.isEmpty else { return outcomes.map { $0! } }
        var answers = await engine.executeReads(reads).makeIterator()
        for index in outcomes.indices where outcomes[index] == nil { outcomes[index] = answers.next() }
        return outcomes.map { $0! }
    }

    // MARK: The event stream

    /// A subscription to committed records from `lsn` on (nil: from the next record written).
    /// Refused when `lsn` is past the end of the log, or older than the log still kept (the
    /// segments before the older snapshot are removed).
    public nonisolated func subscribe(from lsn: UInt64?) throws -> LogSubscription {
        let durable = feed.durableLSN
        let start = lsn ?? durable + 1
        guard start >= 1, start <= durable + 1 else { throw FeedError.positionAhead(requested: start, durable: durable) }
        if start <= durable, (feed.oldestRecentLSN ?? .max) > start {
            let oldest = try LogReader.oldestLSN(directory: configuration.directory, storage: storage) ?? durable + 1
            guard start >= oldest else { throw FeedError.historyUnavailable(requested: start, oldest: oldest) }
        }
        return LogSubscription(feed: feed, directory: configuration.directory, storage: storage, from: start)
    }

    // MARK: Snapshots

    /// Writes a snapshot of the state after the last appended record, once that record is
    /// durable, then removes what recovery no longer needs. Returns its LSN.
    @discardableResult
    public func snapshot() async throws -> UInt64 {
        guard !snapshotting else { return 0 }
        snapshotting = true
        defer { snapshotting = false }
        await enterGate()
        let state = await engine.capture()
        let lsn = lastAppended
        leaveGate()
        // Batches go on meanwhile: the capture is merged into id order as it is written.
        try await writer.waitDurable(lsn)
        let began = monotonicSeconds()
        let (directory, storage) = (configuration.directory, storage)
        try await offCooperativePool { try SnapshotFile.write(state, lsn: lsn, directory: directory, storage: storage) }
        lastSnapshotTime = monotonicSeconds()
        lastSnapshotLogBytes = writer.statisticsSnapshot.bytes
        snapshotsTaken += 1
        log("snapshot: wrote \(SnapshotFile.name(lsn: lsn)) in \(Int((monotonicSeconds() - began) * 1000)) ms")
        // Off the actor, which every batch passes: unlinking a snapshot of hundreds of MiB and
        // the segments it retires, then syncing the directory, took 40-65 ms, and every batch
        // waited for it. (Still inside `snapshotting`: the next snapshot waits for it.)
        try await offCooperativePool { try Self.prune(directory: directory, storage: storage) }
        return lsn
    }

    /// Keeps the two newest snapshots and the log from the older of them on. Removes only
    /// segments that end before the older kept snapshot, never the one being written.
    private static func prune(directory: String, storage: any Storage) throws {
        let names = try storage.list(directory)
        let snapshots = names.compactMap { SnapshotFile.lsn(ofName: $0) }.sorted(by: >)
        guard snapshots.count >= 2 else { return }
        for lsn in snapshots.dropFirst(2) { try storage.remove(directory + "/" + SnapshotFile.name(lsn: lsn)) }
        let keepFrom = snapshots[1]
        let segments = LogFormat.segments(among: names).map(\.first)
        // A segment may go when the next one starts at or before the older snapshot's LSN + 1.
        for (index, first) in segments.enumerated() where index + 1 < segments.count && segments[index + 1] <= keepFrom + 1 {
            try storage.remove(directory + "/" + LogFormat.segmentName(firstLSN: first))
        }
        try storage.syncDirectory(directory)
    }

    private func startSnapshotLoop() {
        guard configuration.snapshotIntervalSeconds != nil || configuration.snapshotLogBytes != nil else { return }
        snapshotLoop = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 500_000_000)
                guard let self else { return }
                await self.snapshotIfDue()
            }
        }
    }

    private func snapshotIfDue() async {
        let byTime = configuration.snapshotIntervalSeconds.map { monotonicSeconds() - lastSnapshotTime >= $0 } ?? false
        let bySize = configuration.snapshotLogBytes.map { writer.statisticsSnapshot.bytes - lastSnapshotLogBytes >= $0 } ?? false
        guard byTime || bySize else { return }
        do {
            try await snapshot()
        } catch {
            log("snapshot: failed: \(error); will retry")
            lastSnapshotTime = monotonicSeconds()
        }
    }

    /// Stops snapshots, makes everything appended durable, and closes the log.
    public func close() async {
        snapshotLoop?.cancel()
        await enterGate()
        await settleAppends()
        writer.close()
        feed.close()
        leaveGate()
    }

    private func enterGate() async {
        guard gateBusy else {
            gateBusy = true
            return
        }
        await withCheckedContinuation { gateWaiting.append($0) }
    }

    private func leaveGate() {
        if gateWaiting.isEmpty { gateBusy = false } else { gateWaiting.removeFirst().resume() }
    }
}
