/// Where the log continues: the segment to append to (nil: start a new one), the offset after
/// its last valid record, and the next LSN.
public struct LogPosition: Sendable, Equatable {
    public var segment: String?
    public var offset: UInt64
    public var nextLSN: UInt64

    public init(segment: String?, offset: UInt64, nextLSN: UInt64) {
        self.segment = segment
        self.offset = offset
        self.nextLSN = nextLSN
    }
}
