/// Little-endian, length-prefixed binary writing: the canonical form behind fingerprints and
/// state digests, and the base of the log and wire codecs.
public struct ByteWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always) public mutating func write(_ value: UInt8) { bytes.append(value) }

    @inline(__always) public mutating func write<T: FixedWidthInteger>(_ value: T) {
        var little = value.littleEndian
        withUnsafeBytes(of: &little) { bytes.append(contentsOf: $0) }
    }

    public mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// UInt32 byte length, then UTF-8.
    public mutating func write(_ string: String) {
        var string = string
        string.withUTF8 { utf8 in
            write(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    public mutating func write(optional string: String?) {
        if let string {
            write(true)
            write(string)
        } else {
            write(false)
        }
    }

    public mutating func write<T: FixedWidthInteger>(optional value: T?) {
        if let value {
            write(true)
            write(value)
        } else {
            write(false)
        }
    }
}
