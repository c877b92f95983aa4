public enum FsyncMode: String, Sendable, CaseIterable {
    /// Acknowledge only after the record is durable (write + fdatasync).
    case always
    /// Acknowledge after the write reaches the OS. Unsafe: a machine crash loses recent writes.
    case never
}

public enum WALError: Error, Equatable, CustomStringConvertible {
    /// The log could not reserve space; writes are refused until space returns.
    case storageFull
    /// A write or sync failed: the log stops for good (fail-stop) and the process must exit.
    case failed(String)
    case closed
    /// A batch whose record could exceed what one segment holds; cut it into smaller batches.
    case batchTooLarge(boundBytes: Int, limitBytes: Int)

    public var description: String {
        switch self {
        case .storageFull: "the disk holding the log is full; writes resume when space returns"
        case .failed(let reason): "the write-ahead log failed and stopped: \(reason)"
        case .closed: "the write-ahead log is closed"
        case .batchTooLarge(let bound, let limit): "a batch whose log record may take \(bound) bytes exceeds the limit of \(limit); send fewer commands per batch"
        }
    }
}
