import Engine

/// The write-ahead log: batch records, segments, group commit, snapshots and recovery.
public enum WAL {
    /// The on-disk format version written into every segment header.
    public static let formatVersion: UInt16 = 1
}
