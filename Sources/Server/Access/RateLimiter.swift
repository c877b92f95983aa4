import Engine
import NIOConcurrencyHelpers

/// A token bucket: `rate` commands per second, with one second's worth of burst. A batch larger
/// than the burst passes when the bucket is full and leaves it in debt, so that big batches are
/// slowed, not refused forever.
final class RateLimiter: Sendable {
    let rate: Double
    private let state: NIOLockedValueBox<(tokens: Double, at: Double)>

    init(commandsPerSecond: Int) {
        precondition(commandsPerSecond > 0)
        rate = Double(commandsPerSecond)
        state = NIOLockedValueBox((Double(commandsPerSecond), monotonicSeconds()))
    }

    func take(_ commands: Int) -> Bool {
        let now = monotonicSeconds()
        return state.withLockedValue { bucket in
            bucket.tokens = min(rate, bucket.tokens + (now - bucket.at) * rate)
            bucket.at = now
            guard bucket.tokens >= min(Double(commands), rate) else { return false }
            bucket.tokens -= Double(commands)
            return true
        }
    }
}
