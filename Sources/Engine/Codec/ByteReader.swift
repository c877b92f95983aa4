/// Reads what `ByteWriter` wrote. Every read is bounds-checked and throws `DecodingError`,
/// so that corrupt or hostile input fails cleanly instead of trapping.
public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    private let end: Int

    public init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        precondition(offset >= 0 && offset <= (end ?? bytes.count) && (end ?? bytes.count) <= bytes.count, "reader window outside its bytes")
        self.bytes = bytes
        self.offset = offset
        self.end = end ?? bytes.count
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset == end }

    public mutating func skip(_ count: Int) throws(DecodingError) {
        guard count >= 0, remaining >= count else { throw DecodingError.truncated(offset: offset) }
        offset += count
    }

    public mutating func read<T: FixedWidthInteger>(_: T.Type = T.self) throws(DecodingError) -> T {
        let size = MemoryLayout<T>.size
        guard remaining >= size else { throw DecodingError.truncated(offset: offset) }
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            bytes.withUnsafeBytes { source in
                target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + size]))
            }
        }
        offset += size
        return T(littleEndian: value)
    }

    public mutating func readBool() throws(DecodingError) -> Bool {
        switch try read(UInt8.self) {
        case 0: return false
        case 1: return true
        case let other: throw DecodingError.invalid("boolean \(other)", offset: offset - 1)
        }
    }

    public mutating func readString(maxBytes: Int = 1 << 20) throws(DecodingError) -> String {
        let count = Int(try read(UInt32.self))
        guard count <= maxBytes else { throw DecodingError.invalid("string of \(count) bytes", offset: offset - 4) }
        guard remaining >= count else { throw DecodingError.truncated(offset: offset) }
        let string = String(decoding: bytes[offset..<offset + count], as: UTF8.self)
        offset += count
        return string
    }

    public mutating func readOptionalString(maxBytes: Int = 1 << 20) throws(DecodingError) -> String? {
        try readBool() ? try readString(maxBytes: maxBytes) : nil
    }

    public mutating func readOptional<T: FixedWidthInteger>(_: T.Type = T.self) throws(DecodingError) -> T? {
        try readBool() ? try read(T.self) : nil
    }

    /// A count of elements that follow, each at least `minimumBytes` long: bounded by what is left.
    public mutating func readCount(minimumBytes: Int) throws(DecodingError) -> Int {
        let count = Int(try read(UInt32.self))
        guard count <= remaining / max(1, minimumBytes) else { throw DecodingError.invalid("count \(count)", offset: offset - 4) }
        return count
    }

    public mutating func readEnum<T: RawRepresentable>(_: T.Type) throws(DecodingError) -> T where T.RawValue: FixedWidthInteger {
        let raw = try read(T.RawValue.self)
        guard let value = T(rawValue: raw) else { throw DecodingError.invalid("\(T.self) \(raw)", offset: offset - MemoryLayout<T.RawValue>.size) }
        return value
    }

    /// A presence byte, then the enum's raw value when present.
    public mutating func readOptionalEnum<T: RawRepresentable>(_: T.Type) throws(DecodingError) -> T? where T.RawValue: FixedWidthInteger {
        try readBool() ? try readEnum(T.self) : nil
    }
}

public enum DecodingError: Error, Equatable, CustomStringConvertible {
    case truncated(offset: Int)
    case invalid(String, offset: Int)

    public var description: String {
        switch self {
        case .truncated(let offset): "input ends early at byte \(offset)"
        case .invalid(let what, let offset): "invalid \(what) at byte \(offset)"
        }
    }
}
