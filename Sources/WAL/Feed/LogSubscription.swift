import Engine

/// One subscriber's place in the log: hands out committed records in LSN order, from memory
/// when `LogFeed` still holds them, else read back from the segments off the cooperative pool,
/// and waits at the end for more.
public struct LogSubscription: Sendable {
    let feed: LogFeed
    let directory: String
    let storage: any Storage
    /// The LSN of the next record to hand out.
    public private(set) var nextLSN: UInt64
    private var reader: LogReader?

    init(feed: LogFeed, directory: String, storage: any Storage, from lsn: UInt64) {
        self.feed = feed
        self.directory = directory
        self.storage = storage
        nextLSN = lsn
    }

    /// The next records, about `maxBytes` of them (at least one), waiting until one is durable
    /// (at most `waitSeconds` when given: then none). Nil when the log closed or the task was
    /// cancelled.
    public mutating func next(maxBytes: Int, waitSeconds: Double? = nil) async throws -> [LogRecord]? {
        while true {
            // A closing log ends every stream, also one still reading a backlog.
            if Task.isCancelled || feed.isClosed { return nil }
            let durable = feed.durableLSN
            if nextLSN <= durable {
                if let recent = feed.recentRecords(from: nextLSN, maxBytes: maxBytes), !recent.isEmpty {
                    reader = nil
                    nextLSN = recent.last!.lsn + 1
                    return recent
                }
                var current = reader ?? LogReader(directory: directory, storage: storage, from: nextLSN)
                reader = nil
                let (records, after) = try await offCooperativePool { [current] in
                    var reading = current
                    let records = try reading.read(through: durable, maxBytes: maxBytes)
                    return (records, reading)
                }
                current = after
                reader = current
                if let last = records.last {
                    nextLSN = last.lsn + 1
                    return records
                }
                continue
            }
            switch await feed.waitBeyond(nextLSN - 1, seconds: waitSeconds) {
            case .ready: continue
            case .timedOut: return []
            case .ended: return nil
            }
        }
    }

    /// Stops reading (a reader holds no file between reads; this drops its place).
    public mutating func close() {
        reader = nil
    }
}
