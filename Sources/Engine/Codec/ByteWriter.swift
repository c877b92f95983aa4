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

/// A run of fixed-size fields, stored into a scratch block and appended to a `ByteWriter` in one
/// go (`ByteWriter.writeBlock`). Each append to an array has a fixed cost of several
/// nanoseconds whatever its size: a loan's nine fields cost one append instead of nine, which
/// matters where millions of loans are encoded (log records, answers, snapshots).
public struct FieldBlock {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    public private(set) var count = 0

    init(base: UnsafeMutableRawPointer, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    @inline(__always) public mutating func write<T: FixedWidthInteger>(_ value: T) {
        precondition(count + MemoryLayout<T>.size <= capacity, "field block of \(capacity) bytes overflows")
        base.storeBytes(of: value.littleEndian, toByteOffset: count, as: T.self)
        count += MemoryLayout<T>.size
    }

    @inline(__always) public mutating func write(_ value: Bool) { write(UInt8(value ? 1 : 0)) }

    @inline(__always) public mutating func write<T: FixedWidthInteger>(optional value: T?) {
        if let value {
            write(UInt8(1))
            write(value)
        } else {
            write(UInt8(0))
        }
    }
}

extension ByteWriter {
    /// Writes the fields `body` stores (at most `maxBytes` of them) with one append.
    @inline(__always) public mutating func writeBlock(maxBytes: Int, _ body: (inout FieldBlock) -> Void) {
        withUnsafeTemporaryAllocation(byteCount: maxBytes, alignment: 8) { scratch in
            var block = FieldBlock(base: scratch.baseAddress!, capacity: maxBytes)
            body(&block)
            append(UnsafeRawBufferPointer(start: scratch.baseAddress!, count: block.count))
        }
    }

    /// Appends raw bytes (already in canonical form).
    public mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
}
