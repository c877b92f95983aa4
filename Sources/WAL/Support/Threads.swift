#if canImport(Glibc)
import Glibc
#endif

import Engine

/// The writer thread's mutex and condition variable (`monotonicSeconds`, `RecursiveLock` and
/// `offCooperativePool` come from Engine). Both pthread objects live on the heap: they must not
/// move, and a stored property's address is not guaranteed to stay fixed.
final class Mutex: @unchecked Sendable {
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t> = .allocate(capacity: 1)
    init() { pthread_mutex_init(mutex, nil) }
    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }
    func lock() { pthread_mutex_lock(mutex) }
    func unlock() { pthread_mutex_unlock(mutex) }
    func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A value that is only touched with its lock held.
final class Locked<Value>: @unchecked Sendable {
    private let mutex = Mutex()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLockedValue<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return try body(&value)
    }
}

final class Condition: @unchecked Sendable {
    private let condition: UnsafeMutablePointer<pthread_cond_t> = .allocate(capacity: 1)
    /// Timed waits count on the monotonic clock: a step of the wall clock neither cuts a wait
    /// short nor stretches it.
    init() {
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }
    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }
    func wait(_ mutex: Mutex) { pthread_cond_wait(condition, mutex.mutex) }

    /// Waits until signalled or until the monotonic clock reaches `deadline` (seconds).
    func wait(_ mutex: Mutex, untilMonotonic deadline: Double) {
        let until = max(0, deadline)
        var spec = timespec(tv_sec: Int(until), tv_nsec: Int((until - Double(Int(until))) * 1e9))
        pthread_cond_timedwait(condition, mutex.mutex, &spec)
    }
    func signal() { pthread_cond_signal(condition) }
}
