import Engine

/// An upper bound on the bytes a batch's log record can take, known before the batch runs, so
/// that a batch is admitted only when the log has room for it (a full disk refuses writes
/// before they happen rather than losing them after).
public enum RecordBound {
    public static let batchHeaderBytes = 64
    /// An event or reply of fixed-size fields (a loan and its tags), with room to spare.
    static let fixedBytes = 160
    /// A member reply can list every active loan (16 bytes each, up to the largest loan limit).
    static let memberBytes = 512 + 16 * Int(Limits.maxLoansRange.upperBound)

    public static func bytes(_ requests: [Request]) -> Int {
        requests.reduce(batchHeaderBytes) { $0 + bytes($1) }
    }

    /// What naming the senders of a batch adds at most: each actor's name once, with its length.
    public static func actorBytes(_ actors: [ActorRun]) -> Int {
        actors.reduce(0) { $0 + 4 + $1.actor.utf8.count }
    }

    static func bytes(_ request: Request) -> Int {
        guard !request.command.isRead else { return 0 }
        // Counted, not encoded: this runs for every command on the hot path.
        let strings = request.command.canonicalByteCount
        let event: Int
        let reply: Int
        switch request.command {
        case .registerMember:
            // A new member has no loans to list.
            event = 2 * fixedBytes + strings
            reply = event
        case .updateMember, .suspendMember, .reinstateMember:
            event = memberBytes + strings
            reply = memberBytes + strings
        case .createItem:
            // The new item carries exactly the draft's strings.
            event = 2 * fixedBytes + strings
            reply = event
        case .updateItem, .withdrawItem, .addCopies, .removeCopies:
            // The after-image carries the item's existing strings, up to their limits.
            event = 2 * fixedBytes + Limits.isbnBytesMax + Limits.titleBytesMax + Limits.authorBytesMax + Limits.publisherBytesMax
            reply = event
        default:
            event = fixedBytes + strings
            reply = fixedBytes + strings
        }
        // A keyed command also logs its remembered outcome.
        let key = request.idempotencyKey.map { 64 + $0.utf8.count + reply } ?? 0
        // Its source (who caused its events: 12 bytes; actors' names are bounded per run, `actorBytes`).
        return event + key + 12
    }
}
