import Engine

/// A committed log record as subscribers receive it: its LSN and its payload (a batch record,
/// docs/log-format.md), the bytes the log holds.
public struct LogRecord: Sendable, Hashable {
    public var lsn: UInt64
    public var payload: [UInt8]

    public init(lsn: UInt64, payload: [UInt8]) {
        self.lsn = lsn
        self.payload = payload
    }

    /// The payload decoded, with who caused each event.
    public func batchRecord() throws(DecodingError) -> BatchRecord {
        var reader = ByteReader(payload)
        let record = try BatchRecord(from: &reader)
        guard reader.isAtEnd else { throw DecodingError.invalid("record of \(payload.count) bytes has trailing bytes", offset: reader.offset) }
        return record
    }
}

/// The newest records, kept in memory for subscribers that follow the log's end, and the
/// signal that wakes them when more become durable. Records older than the memory holds are
/// read back from the segments (`LogReader`). Bounded by `recentBytesMax`.
public final class LogFeed: Sendable {
    struct Waiter {
        var after: UInt64
        var continuation: CheckedContinuation<Wait, Never>
    }

    struct State {
        /// Appended records in LSN order; the ones up to `durable` may be handed out.
        var recent: [LogRecord] = []
        /// Index of the oldest kept record in `recent` (the ones before it are dropped lazily).
        var head = 0
        var recentBytes = 0
        var durable: UInt64
        var waiters: [Int: Waiter] = [:]
        var nextWaiter = 0
        var closed = false
    }

    public let recentBytesMax: Int
    private let state: Locked<State>

    public init(durableLSN: UInt64, recentBytesMax: Int = 16 << 20) {
        precondition(recentBytesMax >= 0)
        self.recentBytesMax = recentBytesMax
        state = Locked(State(durable: durableLSN))
    }

    public var durableLSN: UInt64 { state.withLockedValue { $0.durable } }

    public var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Keeps a record the log is about to take (so that it is in memory before it can become
    /// durable). Called in LSN order; a record offered again at an LSN (the log refused the
    /// first) replaces what was kept from there on, which cannot have been durable.
    public func appended(_ record: LogRecord) {
        state.withLockedValue { state in
            while let last = state.recent.last, state.recent.count > state.head, last.lsn >= record.lsn {
                precondition(last.lsn > state.durable, "a durable record offered again")
                state.recentBytes -= last.payload.count
                state.recent.removeLast()
            }
            if state.recent.count > state.head, let last = state.recent.last { precondition(record.lsn == last.lsn + 1, "feed records out of order") }
            state.recent.append(record)
            state.recentBytes += record.payload.count
            // Drop the oldest, but never a record that is not durable yet.
            while state.recentBytes > recentBytesMax, state.head < state.recent.count, state.recent[state.head].lsn <= state.durable {
                state.recentBytes -= state.recent[state.head].payload.count
                state.head += 1
            }
            if state.head >= 1024, state.head * 2 >= state.recent.count {
                state.recent.removeFirst(state.head)
                state.head = 0
            }
        }
    }

    /// Records up to `lsn` are durable: wakes the subscribers waiting for them.
    public func madeDurable(through lsn: UInt64) {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Wait, Never>] in
            guard lsn > state.durable else { return [] }
            state.durable = lsn
            let ready = state.waiters.filter { $0.value.after < lsn }
            for id in ready.keys { state.waiters[id] = nil }
            return ready.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume(returning: .ready) }
    }

    /// Ends every wait: the log is closing.
    public func close() {
        let woken = state.withLockedValue { state -> [CheckedContinuation<Wait, Never>] in
            state.closed = true
            defer { state.waiters.removeAll() }
            return state.waiters.values.map(\.continuation)
        }
        for continuation in woken { continuation.resume(returning: .ended) }
    }

    /// The oldest LSN the memory holds, if any.
    public var oldestRecentLSN: UInt64? {
        state.withLockedValue { state in state.head < state.recent.count ? state.recent[state.head].lsn : nil }
    }

    /// Durable records from `lsn` on, up to about `maxBytes` (at least one); nil when the
    /// memory no longer (or does not yet) hold `lsn`.
    public func recentRecords(from lsn: UInt64, maxBytes: Int) -> [LogRecord]? {
        state.withLockedValue { state -> [LogRecord]? in
            guard state.head < state.recent.count, lsn <= state.durable else { return nil }
            let oldest = state.recent[state.head].lsn
            guard lsn >= oldest else { return nil }
            var index = state.head + Int(lsn - oldest)
            var records: [LogRecord] = []
            var bytes = 0
            while index < state.recent.count, state.recent[index].lsn <= state.durable, records.isEmpty || bytes + state.recent[index].payload.count <= maxBytes {
                bytes += state.recent[index].payload.count
                records.append(state.recent[index])
                index += 1
            }
            return records
        }
    }

    public enum Wait: Sendable, Equatable {
        /// A record after the position is durable.
        case ready
        /// Nothing came within the time asked.
        case timedOut
        /// The log closed, or the waiting task was cancelled.
        case ended
    }

    /// Waits until a record after `lsn` is durable, at most `seconds` when given.
    public func waitBeyond(_ lsn: UInt64, seconds: Double? = nil) async -> Wait {
        let id = state.withLockedValue { state -> Int in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        let timer = seconds.map { seconds in
            Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                guard !Task.isCancelled, let self else { return }
                self.resume(id, with: .timedOut)
            }
        }
        defer { timer?.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Wait, Never>) in
                let answer = state.withLockedValue { state -> Wait? in
                    if state.closed || Task.isCancelled { return .ended }
                    if state.durable > lsn { return .ready }
                    state.waiters[id] = Waiter(after: lsn, continuation: continuation)
                    return nil
                }
                if let answer { continuation.resume(returning: answer) }
            }
        } onCancel: {
            resume(id, with: .ended)
        }
    }

    private func resume(_ id: Int, with answer: Wait) {
        let waiter = state.withLockedValue { $0.waiters.removeValue(forKey: id) }
        waiter?.continuation.resume(returning: answer)
    }
}
