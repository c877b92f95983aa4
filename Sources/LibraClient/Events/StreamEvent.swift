import Engine

/// Where an event sits in the log: the record's LSN and the event's place in it. Positions
/// order events as the server committed them; `description` is the `lsn.index` form that the
/// JSON and Server-Sent Events streams use as the event's id.
public struct EventPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var lsn: UInt64
    public var index: UInt32

    public init(lsn: UInt64, index: UInt32) {
        self.lsn = lsn
        self.index = index
    }

    /// Parses `lsn.index`.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let lsn = UInt64(parts[0]), lsn >= 1, let index = UInt32(parts[1]) else { return nil }
        self.init(lsn: lsn, index: index)
    }

    public var description: String { "\(lsn).\(index)" }

    public static func < (left: EventPosition, right: EventPosition) -> Bool { (left.lsn, left.index) < (right.lsn, right.index) }
}

/// One committed event with what caused it.
public struct StreamEvent: Sendable, Hashable {
    public var position: EventPosition
    /// The batch's time: when the server committed it.
    public var time: Timestamp
    /// The sequence number of the command that caused it; nil for what the batch's time decided
    /// (an expired pickup).
    public var sequence: SequenceNumber?
    /// The id of the token that sent the command (as `GET /api/v1/tokens` lists it); nil for
    /// what the batch's time decided.
    public var token: String?
    public var event: Event
}

/// Where a stream starts.
public enum EventStreamStart: Sendable, Hashable {
    /// Only events committed from now on.
    case now
    /// From the record with this LSN (1: the oldest the server keeps).
    case lsn(UInt64)
    /// Right after this event: what a follower that stored its last position resumes with.
    case after(EventPosition)
}
