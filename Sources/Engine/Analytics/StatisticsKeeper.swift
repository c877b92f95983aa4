/// Keeps the analytics counters current off the coordinator's serial path. After each batch
/// the coordinator hands over the batch's events (the record's array, shared, not copied) and
/// goes on; a worker task moves the counters by them, in order, on another thread. A batch
/// that asks for analytics takes the counters back first (`take`), once every earlier batch
/// has been applied, and the coordinator keeps them current itself until it hands them over
/// again (`give`): answers see every command before them, as if the counters never left.
final class StatisticsKeeper: @unchecked Sendable {
    private let lock = RecursiveLock()
    // Guarded by `lock`, except `statistics`, which the worker owns while `working`.
    private var statistics = CirculationStatistics()
    private var queue: [[Event]] = []
    private var working = false
    private var taker: CheckedContinuation<CirculationStatistics, Never>?
    /// Queues finished batches' events, in order; they are applied after every batch queued
    /// before.
    func apply(contentsOf batches: [[Event]]) {
        let start = lock.withLock {
            queue.append(contentsOf: batches)
            guard !working else { return false }
            working = true
            return true
        }
        if start { Task.detached { self.work() } }
    }

    /// Hands the counters back, after the coordinator kept them (`take`).
    func give(_ counters: CirculationStatistics) {
        lock.withLock {
            precondition(!working && queue.isEmpty && taker == nil, "counters handed back while the keeper still works")
            statistics = counters
        }
    }

    /// Waits until every queued batch is applied, then hands the counters over; the keeper
    /// holds none until `give`. One taker at a time (the coordinator, in its turn).
    func take() async -> CirculationStatistics {
        await withCheckedContinuation { continuation in
            let ready = lock.withLock {
                precondition(taker == nil, "two takers")
                if working {
                    taker = continuation
                    return false
                }
                return true
            }
            if ready { continuation.resume(returning: moveOut()) }
        }
    }

    private func moveOut() -> CirculationStatistics {
        lock.withLock {
            var counters = CirculationStatistics()
            swap(&counters, &statistics)
            return counters
        }
    }

    /// Applies queued batches until none is left, then wakes a waiting taker.
    private func work() {
        while true {
            let next: [Event]? = lock.withLock {
                if queue.isEmpty {
                    working = false
                    return nil
                }
                return queue.removeFirst()
            }
            guard let events = next else { break }
            statistics.record(contentsOf: events)
        }
        let waiting: CheckedContinuation<CirculationStatistics, Never>? = lock.withLock {
            // A batch queued after `working` went false started a worker of its own; the taker
            // is that worker's to wake.
            guard !working else { return nil }
            defer { taker = nil }
            return taker
        }
        waiting?.resume(returning: moveOut())
    }
}
