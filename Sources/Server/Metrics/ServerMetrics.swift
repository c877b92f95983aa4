import Engine
import NIOConcurrencyHelpers
import Prometheus
import WAL

private func described(_ name: String, _ help: String) -> MetricNameDescriptor {
    MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
}

/// The server's Prometheus metrics (`GET /metrics`). Counting happens per frame and per batch,
/// never with a lock per command.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// By command ordinal << 16 | outcome code (0: ok).
    private let commandCounters = NIOLockedValueBox([Int: Counter]())
    private let frameLatency: DurationHistogram
    private let batchCommands: ValueHistogram
    private let batchFrames: ValueHistogram
    private let groupCommitRecords: ValueHistogram
    private let fsyncSeconds: DurationHistogram
    private let logBytes: Counter
    private let logWrites: Counter
    private let snapshots: Gauge
    private let durableLSN: Gauge
    private let residentMemory: Gauge
    private let connectionsOpen: Gauge
    private let subscriptionsOpen: Gauge
    private let connectionsAccepted: Counter
    private let connectionsRefused: Counter
    private let frameErrors = NIOLockedValueBox([String: Counter]())
    private let httpRequests = NIOLockedValueBox([String: Counter]())

    public init() {
        let latencyBuckets: [Duration] = [
            .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
        ]
        let sizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384]
        frameLatency = registry.makeDurationHistogram(descriptor: described("libra_request_duration_seconds", "From a frame's (or HTTP request's) arrival at the sequencer to its durable answer."), buckets: latencyBuckets)
        batchCommands = registry.makeValueHistogram(descriptor: described("libra_batch_commands", "Commands per engine batch."), buckets: sizeBuckets)
        batchFrames = registry.makeValueHistogram(descriptor: described("libra_batch_frames", "Frames (and HTTP requests) per engine batch."), buckets: sizeBuckets)
        groupCommitRecords = registry.makeValueHistogram(descriptor: described("libra_group_commit_records", "Log records per group-commit write."), buckets: sizeBuckets)
        fsyncSeconds = registry.makeDurationHistogram(descriptor: described("libra_log_write_duration_seconds", "Duration of one group-commit write with its fdatasync."), buckets: latencyBuckets)
        logBytes = registry.makeCounter(descriptor: described("libra_log_bytes_total", "Bytes written to the log."))
        logWrites = registry.makeCounter(descriptor: described("libra_log_writes_total", "Group-commit writes to the log."))
        snapshots = registry.makeGauge(descriptor: described("libra_snapshots_taken", "Snapshots written since the server started."))
        durableLSN = registry.makeGauge(descriptor: described("libra_durable_lsn", "The last log record known durable."))
        residentMemory = registry.makeGauge(descriptor: described("libra_resident_memory_bytes", "The server process's resident memory (RSS), read at scrape time."))
        connectionsOpen = registry.makeGauge(descriptor: described("libra_connections_open", "Binary/JSON protocol connections open now."))
        subscriptionsOpen = registry.makeGauge(
            descriptor: described("libra_event_subscriptions_open", "Event-stream subscriptions open now (protocol and Server-Sent Events)."))
        connectionsAccepted = registry.makeCounter(descriptor: described("libra_connections_accepted_total", "Binary/JSON protocol connections accepted."))
        connectionsRefused = registry.makeCounter(descriptor: described("libra_connections_refused_total", "Connections refused at the connection limit."))
    }

    /// Records the log path and fsync mode as an info metric.
    public func describeLog(ioPath: String, fsync: String) {
        registry.makeGauge(descriptor: described("libra_log_info", "The log's I/O path and fsync mode."), labels: [("io", ioPath), ("fsync", fsync)]).set(1.0)
    }

    func recordBatch(commands: Int, frames: Int) {
        batchCommands.record(Double(commands))
        batchFrames.record(Double(frames))
    }

    func recordFrame(requests: [Request], outcomes: [Outcome], seconds: Double) {
        frameLatency.record(.nanoseconds(Int64(seconds * 1e9)))
        // Frames mostly repeat one command with one outcome (a desk's checkouts, a bulk load's
        // imports), or alternate a few: count per (command, outcome) pair by integer key, and
        // build a label only the first time a pair is seen. This runs on the log's writer
        // thread, before the next group commit.
        var counts: [(key: Int, first: Int, count: Int64)] = []
        for index in 0..<min(requests.count, outcomes.count) {
            let key = requests[index].command.metricsOrdinal << 16 | Int(outcomes[index].refusal?.code.rawValue ?? 0)
            if let slot = counts.firstIndex(where: { $0.key == key }) {
                counts[slot].count += 1
            } else {
                counts.append((key, index, 1))
            }
        }
        let counters = commandCounters.withLockedValue { cache in
            counts.map { entry in
                if let counter = cache[entry.key] { return (counter, entry.count) }
                let counter = registry.makeCounter(
                    descriptor: described("libra_commands_total", "Commands executed, by command and outcome (ok or the error name)."),
                    labels: [("command", requests[entry.first].command.name), ("outcome", outcomes[entry.first].refusal?.code.name ?? "ok")])
                cache[entry.key] = counter
                return (counter, entry.count)
            }
        }
        for (counter, count) in counters { counter.increment(by: count) }
    }

    /// A frame refused as a whole (bad frame, auth, rate limit...).
    public func recordFrameError(_ code: ErrorCode) {
        let counter = frameErrors.withLockedValue { cache in
            if let counter = cache[code.name] { return counter }
            let counter = registry.makeCounter(descriptor: described("libra_frame_errors_total", "Frames refused as a whole, by error."), labels: [("code", code.name)])
            cache[code.name] = counter
            return counter
        }
        counter.increment()
    }

    public func recordHTTP(status: Int) {
        let label = String(status)
        let counter = httpRequests.withLockedValue { cache in
            if let counter = cache[label] { return counter }
            let counter = registry.makeCounter(descriptor: described("libra_http_requests_total", "HTTP requests answered, by status."), labels: [("status", label)])
            cache[label] = counter
            return counter
        }
        counter.increment()
    }

    public func observe(_ write: LogWriter.WriteObservation) {
        groupCommitRecords.record(Double(write.records))
        if write.synced { fsyncSeconds.record(.nanoseconds(Int64(write.seconds * 1e9))) }
        logBytes.increment(by: Int64(write.bytes))
        logWrites.increment()
    }

    func connectionOpened() {
        connectionsOpen.increment()
        connectionsAccepted.increment()
    }

    func connectionClosed() { connectionsOpen.decrement() }
    func connectionRefused() { connectionsRefused.increment() }

    /// The Prometheus text exposition, with the gauges read at scrape time.
    func exposition(database: Database, subscriptions: EventSubscriptions) async -> [UInt8] {
        subscriptionsOpen.set(Double(subscriptions.count))
        snapshots.set(Double(await database.snapshotsTaken))
        durableLSN.set(Double(database.durableLSN))
        if let bytes = ProcessMemory.residentBytes() { residentMemory.set(Double(bytes)) }
        return registry.emitToBuffer()
    }
}

extension Command {
    /// Tells commands apart for counting, cheaper than comparing their names.
    fileprivate var metricsOrdinal: Int {
        switch self {
        case .createItem: 1
        case .updateItem: 2
        case .withdrawItem: 3
        case .addCopies: 4
        case .removeCopies: 5
        case .registerMember: 6
        case .updateMember: 7
        case .suspendMember: 8
        case .reinstateMember: 9
        case .setPolicy: 10
        case .checkout: 11
        case .returnLoan: 12
        case .renewLoan: 13
        case .payFine: 14
        case .getItem: 15
        case .getMember: 16
        case .memberLoans: 17
        case .overdueLoans: 18
        case .listItems: 19
        case .listMembers: 20
        case .importLoan: 21
        case .placeHold: 22
        case .cancelHold: 23
        case .itemHolds: 24
        case .memberHolds: 25
        case .blockMember: 26
        case .unblockMember: 27
        case .declareLost: 28
        case .claimReturned: 29
        case .markMissing: 30
        case .markFound: 31
        case .analytics: 32
        case .searchCatalog: 33
        }
    }
}
