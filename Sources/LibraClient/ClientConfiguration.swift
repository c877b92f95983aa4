import NIOCore

/// How a `LibraClient` connects, cuts frames, waits and retries. Every field has a bound, checked
/// by `LibraClient.connect` (see `ClientLimits`).
public struct ClientConfiguration: Sendable {
    /// Connections in the pool. Calls go to the least-loaded one.
    public var connections = 2
    /// The most commands one frame carries. nil: the server's limit (from WELCOME); a value is
    /// lowered to the server's limit if it is higher.
    public var commandsPerFrameMax: Int?
    /// Frames a connection keeps in flight. Calls that arrive while this many are unanswered wait
    /// and leave together in the next frame: this is what turns concurrent calls into batches.
    public var framesInFlightPerConnectionMax = 4
    /// How long a call may take, from submission to answer, reconnections included. A call that
    /// times out fails with `LibraError.timedOut`; a mutation may still have taken effect.
    public var requestTimeout: Duration = .seconds(30)
    /// How long opening one TCP connection may take.
    public var connectTimeout: Duration = .seconds(5)
    /// Reconnection and resending after a connection drops.
    public var retry = RetryPolicy()
    /// Generated idempotency keys start with this prefix (at most
    /// `ClientLimits.idempotencyKeyPrefixBytesMax` bytes), e.g. the desk's name.
    public var idempotencyKeyPrefix = "sdk"
    /// Mutations without a key get a generated one, so that a resend after a dropped connection
    /// never applies them twice. Turn off only for bulk loads that are safe to repeat or check.
    public var assignsIdempotencyKeys = true
    /// The largest answer frame the client accepts, header included.
    public var answerBytesMax = ClientLimits.answerBytesMaxDefault
    /// The event loops the connections run on; nil: NIO's shared singleton group.
    public var eventLoopGroup: (any EventLoopGroup)?

    public init() {}

    /// A description of the first field out of bounds, or nil when all are within them.
    func violation() -> String? {
        if !(1...ClientLimits.connectionsMax).contains(connections) {
            return "connections must be 1...\(ClientLimits.connectionsMax), not \(connections)"
        }
        if let commandsPerFrameMax, commandsPerFrameMax < 1 {
            return "commandsPerFrameMax must be at least 1, not \(commandsPerFrameMax)"
        }
        if !(1...ClientLimits.framesInFlightPerConnectionMax).contains(framesInFlightPerConnectionMax) {
            return "framesInFlightPerConnectionMax must be 1...\(ClientLimits.framesInFlightPerConnectionMax)"
        }
        if requestTimeout <= .zero || connectTimeout <= .zero { return "timeouts must be positive" }
        if idempotencyKeyPrefix.utf8.count > ClientLimits.idempotencyKeyPrefixBytesMax {
            return "idempotencyKeyPrefix is longer than \(ClientLimits.idempotencyKeyPrefixBytesMax) bytes"
        }
        if !(ClientLimits.answerBytesMin...ClientLimits.answerBytesMax).contains(answerBytesMax) {
            return "answerBytesMax must be \(ClientLimits.answerBytesMin)...\(ClientLimits.answerBytesMax)"
        }
        return retry.violation()
    }
}

/// How a connection recovers from a drop: it reconnects (the first attempt at once, then after a
/// doubling, jittered pause up to `backoffMax`) and resends what was in flight. `attempts` bounds
/// both the connection attempts of one outage and how often one call is resent.
public struct RetryPolicy: Sendable, Hashable {
    public var attempts = 8
    public var backoffInitial: Duration = .milliseconds(50)
    public var backoffMax: Duration = .seconds(2)

    public init() {}

    public init(attempts: Int, backoffInitial: Duration, backoffMax: Duration) {
        self.attempts = attempts
        self.backoffInitial = backoffInitial
        self.backoffMax = backoffMax
    }

    /// No reconnection and no resending: a drop fails what was in flight at once.
    public static let never = RetryPolicy(attempts: 0, backoffInitial: .zero, backoffMax: .zero)

    /// The pause before connection attempt `attempt` (0 is the first, made at once).
    func backoff(attempt: Int) -> Duration {
        guard attempt > 0 else { return .zero }
        var pause = backoffInitial
        for _ in 1..<min(attempt, 32) where pause < backoffMax { pause *= 2 }
        pause = min(pause, backoffMax)
        // Jitter within ±20 %, so that many clients cut off together do not return together.
        return pause * Double.random(in: 0.8...1.2)
    }

    func violation() -> String? {
        if !(0...ClientLimits.retryAttemptsMax).contains(attempts) { return "retry attempts must be 0...\(ClientLimits.retryAttemptsMax)" }
        if backoffInitial < .zero || backoffMax < backoffInitial { return "retry backoff must satisfy 0 <= initial <= max" }
        return nil
    }
}

/// Every bound of the client, in one place.
public enum ClientLimits {
    public static let connectionsMax = 64
    /// The server stops reading a connection beyond its own limit; going past it gains nothing.
    public static let framesInFlightPerConnectionMax = 256
    /// A prefix, a dash, 16 hex digits, a dash and up to 16 hex digits stay within the engine's
    /// 64-byte key limit.
    public static let idempotencyKeyPrefixBytesMax = 24
    public static let retryAttemptsMax = 1000
    public static let answerBytesMin = 1 << 16
    public static let answerBytesMaxDefault = 64 << 20
    public static let answerBytesMax = 1 << 30
}
