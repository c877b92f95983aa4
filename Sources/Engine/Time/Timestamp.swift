/// Milliseconds since 1970-01-01T00:00:00Z. Engine time comes only from the sequencer, which
/// stamps each batch once, so that replaying batches reproduces every due date and fine.
public struct Timestamp: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(millisecondsSinceEpoch: Int64) { self.rawValue = millisecondsSinceEpoch }

    public static let millisecondsPerDay: Int64 = 86_400_000
    public static let zero = Timestamp(rawValue: 0)

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The UTC day this instant falls on, as days since 1970-01-01.
    public var day: Int32 {
        Int32(truncatingIfNeeded: rawValue >= 0 ? rawValue / Self.millisecondsPerDay : (rawValue + 1) / Self.millisecondsPerDay - 1)
    }

    /// The first millisecond of a UTC day.
    public static func startOfDay(_ day: Int32) -> Timestamp {
        Timestamp(rawValue: Int64(day) * millisecondsPerDay)
    }

    /// The last millisecond of a UTC day: loans fall due at the end of their due day.
    public static func endOfDay(_ day: Int32) -> Timestamp {
        Timestamp(rawValue: Int64(day + 1) * millisecondsPerDay - 1)
    }

    public func adding(milliseconds: Int64) -> Timestamp { Timestamp(rawValue: rawValue + milliseconds) }

    /// ISO 8601, UTC, millisecond precision: `2026-11-21T09:30:00.000Z`.
    public var description: String {
        let date = CivilDate(day: day)
        let millisOfDay = rawValue - Int64(day) * Self.millisecondsPerDay
        let hours = millisOfDay / 3_600_000
        let minutes = millisOfDay / 60_000 % 60
        let seconds = millisOfDay / 1000 % 60
        let millis = millisOfDay % 1000
        return "\(date)T\(pad(hours, 2)):\(pad(minutes, 2)):\(pad(seconds, 2)).\(pad(millis, 3))Z"
    }
}

func pad(_ value: Int64, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
