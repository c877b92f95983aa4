import Engine

/// The 32-byte header that opens every log segment and every snapshot:
///
///     magic (8) | u16 version | u16 0 | u32 header size (32) | u64 LSN | u32 0 | u32 CRC-32C of bytes 0..<28
enum FileHeader {
    static let size = 32

    static func encode(magic: [UInt8], version: UInt16, lsn: UInt64) -> [UInt8] {
        precondition(magic.count == 8, "a file magic is 8 bytes")
        var writer = ByteWriter(capacity: size)
        for byte in magic { writer.write(byte) }
        writer.write(version)
        writer.write(UInt16(0))
        writer.write(UInt32(size))
        writer.write(lsn)
        writer.write(UInt32(0))
        writer.write(CRC32C.checksum(writer.bytes))
        return writer.bytes
    }

    enum Problem: Error, Equatable {
        case wrongMagic
        case checksumMismatch
        case unknownVersion(UInt16)
    }

    /// The LSN the header names. The checksum is checked before the version, so that damage is
    /// not mistaken for a newer format.
    static func parse(_ bytes: [UInt8], magic: [UInt8], version expected: UInt16) -> Result<UInt64, Problem> {
        guard bytes.count >= size, Array(bytes[0..<8]) == magic else { return .failure(.wrongMagic) }
        var checksum = ByteReader(bytes, offset: 28, end: size)
        var fields = ByteReader(bytes, offset: 8, end: 28)
        guard let stored = try? checksum.read(UInt32.self), CRC32C.checksum(bytes[0..<28]) == stored else { return .failure(.checksumMismatch) }
        guard let version = try? fields.read(UInt16.self), version == expected else {
            return .failure(.unknownVersion((try? ByteReader(bytes, offset: 8, end: 10).peekVersion()) ?? 0))
        }
        _ = try? fields.read(UInt16.self)
        _ = try? fields.read(UInt32.self)
        guard let lsn = try? fields.read(UInt64.self) else { return .failure(.wrongMagic) }
        return .success(lsn)
    }
}

private extension ByteReader {
    func peekVersion() throws -> UInt16 {
        var copy = self
        return try copy.read(UInt16.self)
    }
}
