#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

import Dispatch

/// Seconds on the monotonic clock: for durations, never for engine time (which comes from the
/// sequencer's `EngineClock`).
public func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// A recursive pthread mutex (Libra uses no Foundation). Recursive, so that a holder may call
/// other locked methods of the same object.
public final class RecursiveLock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        // Heap-allocated: a pthread mutex must not move, and a stored property's address is not
        // guaranteed to stay fixed.
        mutex = .allocate(capacity: 1)
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// Runs blocking work (file reads, writes of hundreds of megabytes, removals and directory
/// syncs, password hashing, heap trims, merging a capture) on a dispatch queue of quality `qos`,
/// so that it holds none of the cooperative pool's few threads, nor an event loop or actor that
/// awaits it.
/// Throws what `body` throws (nothing, for a body that cannot throw).
public func offCooperativePool<T: Sendable, Failure: Error>(
    qos: DispatchQoS.QoSClass = .default, _ body: @escaping @Sendable () throws(Failure) -> T
) async throws(Failure) -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, Failure>, Never>) in
        DispatchQueue.global(qos: qos).async { continuation.resume(returning: Result { () throws(Failure) -> T in try body() }) }
    }
    return try result.get()
}
