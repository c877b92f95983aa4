import Synchronization

/// What a client has sent so far, summed over its connections. `commandsSent / framesSent` is
/// the batching factor.
public struct ClientStatistics: Sendable, Hashable {
    /// BATCH frames written (resends included).
    public var framesSent: Int
    /// Commands carried by those frames (resends included).
    public var commandsSent: Int
    /// Frames answered (RESULTS or ERROR).
    public var framesAnswered: Int
    /// Commands sent again after a connection dropped.
    public var commandsResent: Int
    /// Connections restored after a drop.
    public var reconnects: Int
    /// Connection attempts that failed.
    public var connectFailures: Int
    /// Calls that timed out.
    public var timeouts: Int
}

/// The counters behind `ClientStatistics`, shared by the connections of one client.
final class Counters: Sendable {
    let framesSent = Atomic<Int>(0)
    let commandsSent = Atomic<Int>(0)
    let framesAnswered = Atomic<Int>(0)
    let commandsResent = Atomic<Int>(0)
    let reconnects = Atomic<Int>(0)
    let connectFailures = Atomic<Int>(0)
    let timeouts = Atomic<Int>(0)

    var snapshot: ClientStatistics {
        ClientStatistics(
            framesSent: framesSent.load(ordering: .relaxed), commandsSent: commandsSent.load(ordering: .relaxed),
            framesAnswered: framesAnswered.load(ordering: .relaxed), commandsResent: commandsResent.load(ordering: .relaxed),
            reconnects: reconnects.load(ordering: .relaxed), connectFailures: connectFailures.load(ordering: .relaxed),
            timeouts: timeouts.load(ordering: .relaxed))
    }
}
