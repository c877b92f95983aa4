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

    /// Parses what `description` prints, `YYYY-MM-DDTHH:MM:SS.mmmZ`, or the same without the
    /// milliseconds; nil unless it names a real instant.
    public init?(iso string: String) {
        let utf8 = Array(string.utf8)
        guard utf8.count == 20 || utf8.count == 24, utf8.last == UInt8(ascii: "Z"), utf8[10] == UInt8(ascii: "T"),
            let date = CivilDate(iso: String(decoding: utf8[0..<10], as: UTF8.self))
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for byte in utf8[range] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard utf8[13] == UInt8(ascii: ":"), utf8[16] == UInt8(ascii: ":"), let hours = number(11..<13), let minutes = number(14..<16),
            let seconds = number(17..<19), hours < 24, minutes < 60, seconds < 60
        else { return nil }
        var millis: Int64 = 0
        if utf8.count == 24 {
            guard utf8[19] == UInt8(ascii: "."), let value = number(20..<23) else { return nil }
            millis = value
        }
        rawValue = Int64(date.daysSinceEpoch) * Self.millisecondsPerDay + ((hours * 60 + minutes) * 60 + seconds) * 1000 + millis
    }

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
