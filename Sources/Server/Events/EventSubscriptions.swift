import Engine
import LibraProtocol
import NIOConcurrencyHelpers
import WAL

/// The event stream's subscriptions, over the protocol port and as Server-Sent Events: at most
/// `maximum` at once, and all ended when the server shuts down (each stops waiting and closes).
final class EventSubscriptions: Sendable {
    struct State {
        var stops: [Int: @Sendable () -> Void] = [:]
        var nextID = 0
        var closed = false
    }

    static let maximumDefault = 64

    let maximum: Int
    /// Closed at shutdown: every subscription waiting for records stops waiting.
    let feed: LogFeed?
    private let state = NIOLockedValueBox(State())

    init(maximum: Int = maximumDefault, feed: LogFeed?) {
        self.maximum = maximum
        self.feed = feed
    }

    var count: Int { state.withLockedValue { $0.stops.count } }

    /// Registers a subscription and how to stop it; refused at the limit or after shutdown began.
    func add(stop: @escaping @Sendable () -> Void) throws(ProtocolRefusal) -> Int {
        let id = state.withLockedValue { state -> Int? in
            guard !state.closed else { return -1 }
            guard state.stops.count < maximum else { return nil }
            defer { state.nextID += 1 }
            state.stops[state.nextID] = stop
            return state.nextID
        }
        guard let id else { throw ProtocolRefusal(.tooManySubscriptions, "At most \(maximum) event subscriptions at once.") }
        guard id >= 0 else { throw ProtocolRefusal(.shuttingDown) }
        return id
    }

    func remove(_ id: Int) {
        _ = state.withLockedValue { $0.stops.removeValue(forKey: id) }
    }

    var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Ends every subscription and refuses new ones.
    func closeAll() {
        let stops = state.withLockedValue { state -> [@Sendable () -> Void] in
            state.closed = true
            return Array(state.stops.values)
        }
        for stop in stops { stop() }
        feed?.close()
    }

    /// Opens a subscription for a principal: every role but member may follow the stream (it
    /// shows every member's activity).
    static func open(_ database: Database, from lsn: UInt64?, principal: Principal, access: AccessControl) throws(ProtocolRefusal) -> LogSubscription {
        guard access.isValid(principal) else { throw ProtocolRefusal(.unauthenticated) }
        guard principal.role != .member else { throw ProtocolRefusal(.forbidden, "Member tokens cannot follow the event stream: it shows every member's activity.") }
        do {
            return try database.subscribe(from: lsn)
        } catch {
            throw refusal(error)
        }
    }

    /// The protocol's answer to a subscription that cannot start or go on.
    static func refusal(_ error: any Error) -> ProtocolRefusal {
        switch error {
        case let refusal as ProtocolRefusal: return refusal
        case FeedError.historyUnavailable(let requested, let oldest):
            return ProtocolRefusal(.historyUnavailable, "LSN \(requested) is no longer kept; the oldest kept is LSN \(oldest).")
        case FeedError.positionAhead(let requested, let durable):
            return ProtocolRefusal(.positionAhead, "LSN \(requested) is past the end of the log; the durable LSN is \(durable).")
        default: return ProtocolRefusal(.internalError, "The event stream stopped: \(error)")
        }
    }
}

/// A subscription's place in the count, given back once: by `release()`, or when dropped.
final class SubscriptionSlot: Sendable {
    let subscriptions: EventSubscriptions
    let id: Int

    init(_ subscriptions: EventSubscriptions, id: Int) {
        self.subscriptions = subscriptions
        self.id = id
    }

    func release() { subscriptions.remove(id) }

    deinit { subscriptions.remove(id) }
}

/// Drives one subscription: hands each run of committed records to `send` (which returns once
/// they are written, so a slow reader slows its own pump and nothing piles up), and an empty
/// run when nothing was committed for `EventFrames.heartbeatSeconds`. Returns when the log
/// closes or the task is cancelled; throws when a record cannot be read or `send` fails.
enum EventPump {
    static func run(_ subscription: inout LogSubscription, send: ([LogRecord]) async throws -> Void) async throws {
        defer { subscription.close() }
        while let records = try await subscription.next(maxBytes: EventFrames.recordBytesPerFrame, waitSeconds: EventFrames.heartbeatSeconds) {
            try await send(records)
        }
    }
}
