#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the sequencer reads the time for each batch. Tests inject a manual clock.
public protocol EngineClock: Sendable {
    func now() -> Timestamp
}

/// Wall-clock time.
public struct SystemClock: EngineClock {
    public init() {}
    public func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(rawValue: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }
}

/// A clock that moves only when told to.
public final class ManualClock: EngineClock, @unchecked Sendable {
    private let lock = RecursiveLock()
    private var current: Timestamp

    public init(_ start: Timestamp) { current = start }

    public func now() -> Timestamp { lock.withLock { current } }
    public func set(_ time: Timestamp) { lock.withLock { current = time } }
    public func advance(milliseconds: Int64) { lock.withLock { current = current.adding(milliseconds: milliseconds) } }
}
