#if canImport(Glibc)
import Glibc
#endif

/// Clocks and locks for the log's own threads (the WAL uses no Foundation).

func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

final class Mutex: @unchecked Sendable {
    fileprivate var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

final class Condition: @unchecked Sendable {
    private var condition = pthread_cond_t()
    init() { pthread_cond_init(&condition, nil) }
    deinit { pthread_cond_destroy(&condition) }
    func wait(_ mutex: Mutex) { pthread_cond_wait(&condition, &mutex.mutex) }

    /// Waits until signalled or until the monotonic clock reaches `deadline` (seconds).
    func wait(_ mutex: Mutex, untilMonotonic deadline: Double) {
        let remaining = max(0, deadline - monotonicSeconds())
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let total = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + remaining
        var until = timespec(tv_sec: Int(total), tv_nsec: Int((total - Double(Int(total))) * 1e9))
        pthread_cond_timedwait(&condition, &mutex.mutex, &until)
    }
    func signal() { pthread_cond_signal(&condition) }
}

/// A pthread mutex (the WAL needs no Foundation).
final class NSLockLite: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(&mutex, &attributes)
    }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
