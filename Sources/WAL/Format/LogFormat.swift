import Engine

/// The log's on-disk format; docs/log-format.md describes it byte by byte.
///
/// A data directory holds segment files `log-<first LSN, 20 digits>.wal`, each a 32-byte header
/// followed by records, preallocated to `segmentBytes`. A record is one batch:
///
///     u32 payload length | u32 CRC-32C of (LSN, payload) | u64 LSN | payload (BatchRecord)
///
/// LSNs count records from 1 without gaps. Unwritten space reads as zeros, and a zero length
/// marks the end of a segment's records.
public enum LogFormat {
    public static let version: UInt16 = 1
    public static let segmentMagic: [UInt8] = Array("LIBRAWAL".utf8)
    public static let segmentHeaderBytes = 32
    public static let recordHeaderBytes = 16
    /// A batch record larger than this is refused before it is written (see `LogWriter`).
    public static let recordPayloadBytesMax = 64 << 20

    public static func segmentName(firstLSN: UInt64) -> String { "log-\(digits(firstLSN)).wal" }

    public static func firstLSN(ofSegment name: String) -> UInt64? {
        guard name.hasPrefix("log-"), name.hasSuffix(".wal"), name.count == 4 + 20 + 4 else { return nil }
        return UInt64(name.dropFirst(4).dropLast(4))
    }

    static func digits(_ value: UInt64) -> String {
        let text = String(value)
        return String(repeating: "0", count: 20 - text.count) + text
    }

    public static func segmentHeader(firstLSN: UInt64) -> [UInt8] {
        var writer = ByteWriter(capacity: segmentHeaderBytes)
        for byte in segmentMagic { writer.write(byte) }
        writer.write(version)
        writer.write(UInt16(0))
        writer.write(UInt32(segmentHeaderBytes))
        writer.write(firstLSN)
        writer.write(UInt32(0))
        writer.write(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    public enum HeaderProblem: Error, Equatable {
        case notALogSegment
        case unknownVersion(UInt16)
        case checksumMismatch
    }

    /// The first LSN a segment header names.
    public static func parseSegmentHeader(_ bytes: [UInt8]) -> Result<UInt64, HeaderProblem> {
        guard bytes.count >= segmentHeaderBytes, Array(bytes[0..<8]) == segmentMagic else { return .failure(.notALogSegment) }
        var reader = ByteReader(bytes, offset: 8, end: segmentHeaderBytes)
        var checksumReader = ByteReader(bytes, offset: 28, end: segmentHeaderBytes)
        do {
            let version = try reader.read(UInt16.self)
            guard CRC32C.checksum(bytes[0..<28]) == (try checksumReader.read(UInt32.self)) else { return .failure(.checksumMismatch) }
            guard version == LogFormat.version else { return .failure(.unknownVersion(version)) }
            _ = try reader.read(UInt16.self)
            _ = try reader.read(UInt32.self)
            return .success(try reader.read(UInt64.self))
        } catch {
            return .failure(.notALogSegment)
        }
    }

    /// Appends one framed record to `buffer`.
    public static func appendRecord(lsn: UInt64, payload: [UInt8], to buffer: inout [UInt8]) {
        precondition(!payload.isEmpty && payload.count <= recordPayloadBytesMax, "record payload of \(payload.count) bytes")
        var lsnBytes = ByteWriter(capacity: 8)
        lsnBytes.write(lsn)
        var crc = lsnBytes.bytes.withUnsafeBytes { CRC32C.checksum($0) }
        crc = payload.withUnsafeBytes { CRC32C.checksum($0, initial: crc) }
        var header = ByteWriter(capacity: recordHeaderBytes)
        header.write(UInt32(payload.count))
        header.write(crc)
        header.write(lsn)
        buffer.append(contentsOf: header.bytes)
        buffer.append(contentsOf: payload)
    }

    public static func recordBytes(payloadBytes: Int) -> Int { recordHeaderBytes + payloadBytes }
}
