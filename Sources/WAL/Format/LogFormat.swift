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
    public static let version: UInt16 = 3
    public static let segmentMagic: [UInt8] = Array("LIBRAWAL".utf8)
    public static let segmentHeaderBytes = 32
    public static let recordHeaderBytes = 16
    /// A batch record larger than this is refused before it is written (see `LogWriter`).
    public static let recordPayloadBytesMax = 64 << 20

    public static func segmentName(firstLSN: UInt64) -> String { "log-\(digits(firstLSN)).wal" }

    /// The segments among a directory's file names, ascending by first LSN.
    public static func segments(among names: [String]) -> [(first: UInt64, name: String)] {
        names.compactMap { name in firstLSN(ofSegment: name).map { (first: $0, name: name) } }.sorted { $0.first < $1.first }
    }

    public static func firstLSN(ofSegment name: String) -> UInt64? {
        guard name.hasPrefix("log-"), name.hasSuffix(".wal"), name.count == 4 + 20 + 4 else { return nil }
        return UInt64(name.dropFirst(4).dropLast(4))
    }

    static func digits(_ value: UInt64) -> String {
        let text = String(value)
        return String(repeating: "0", count: 20 - text.count) + text
    }

    public static func segmentHeader(firstLSN: UInt64) -> [UInt8] {
        FileHeader.encode(magic: segmentMagic, version: version, lsn: firstLSN)
    }

    public enum HeaderProblem: Error, Equatable {
        case notALogSegment
        case unknownVersion(UInt16)
        case checksumMismatch
    }

    /// The first LSN a segment header names.
    public static func parseSegmentHeader(_ bytes: [UInt8]) -> Result<UInt64, HeaderProblem> {
        FileHeader.parse(bytes, magic: segmentMagic, version: version).mapError { problem in
            switch problem {
            case .wrongMagic: .notALogSegment
            case .checksumMismatch: .checksumMismatch
            case .unknownVersion(let found): .unknownVersion(found)
            }
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
