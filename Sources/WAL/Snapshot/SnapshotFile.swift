import Dispatch
import Engine

/// Snapshot files: `snapshot-<LSN, 20 digits>.snap`, the engine's whole state after the record
/// with that LSN. docs/log-format.md describes the layout byte by byte:
///
///     header (32 bytes): "LIBRASNP", u16 version, u16 0, u32 32, u64 LSN, u32 0, u32 CRC-32C of bytes 0..<28
///     body: EngineHeader, u64 count + items, u64 count + members, u64 count + loans (canonical encodings)
///     trailer (40 bytes): u64 x 3 offsets of the member count, the loan count and (0) reserved,
///       relative to the body; u64 body length; u32 CRC-32C of the body; "SEND"
///
/// The offsets let a reader decode items, members and loans in parallel.
public enum SnapshotFile {
    public static let version: UInt16 = 2
    static let magic: [UInt8] = Array("LIBRASNP".utf8)
    static let trailerMagic: [UInt8] = Array("SEND".utf8)
    static let headerBytes = 32
    static let trailerBytes = 40
    static let flushBytes = 8 << 20

    public static func name(lsn: UInt64) -> String { "snapshot-\(LogFormat.digits(lsn)).snap" }

    public static func lsn(ofName name: String) -> UInt64? {
        guard name.hasPrefix("snapshot-"), name.hasSuffix(".snap"), name.count == 9 + 20 + 5 else { return nil }
        return UInt64(name.dropFirst(9).dropLast(5))
    }

    /// Writes a snapshot durably: a temporary file, fsync, rename into place, directory fsync.
    /// The entities are encoded as `snapshot` yields them (from a live capture: merged in id
    /// order on the way, with no merged copy).
    /// The bytes go out in whole blocks from one aligned buffer (`Storage.openForStreaming`:
    /// past the page cache where the file system allows), the last block padded with zeros and
    /// the file then cut to its length.
    public static func write(_ snapshot: some SnapshotContent, lsn: UInt64, directory: String, storage: any Storage) throws(StorageError) {
        let path = directory + "/" + name(lsn: lsn)
        let temporary = path + ".tmp"
        let file = try storage.openForStreaming(temporary)
        defer { file.close() }
        try file.truncate(to: 0)
        let staging = BlockBuffer(capacity: flushBytes, file: file)
        try staging.append(FileHeader.encode(magic: magic, version: version, lsn: lsn))

        var bodyLength: UInt64 = 0
        var crc: UInt32 = 0
        var writer = ByteWriter(capacity: flushBytes + (1 << 16))
        func flush(force: Bool) throws(StorageError) {
            guard force || writer.bytes.count >= flushBytes else { return }
            crc = writer.bytes.withUnsafeBytes { CRC32C.checksum($0, initial: crc) }
            try staging.append(writer.bytes)
            bodyLength += UInt64(writer.bytes.count)
            writer.removeAll()
        }
        snapshot.header.encode(to: &writer)
        // The entities come through callbacks that cannot throw (see `SnapshotContent`): a failed
        // flush stops them, and is thrown once they return.
        var failure: StorageError?
        var written = 0
        func take() -> Bool {
            written += 1
            do {
                try flush(force: false)
                return true
            } catch {
                failure = error
                return false
            }
        }
        func finish(_ name: String, count: Int) throws(StorageError) {
            if let failure { throw failure }
            precondition(written == count, "snapshot: \(written) \(name) written, \(count) counted")
            written = 0
        }
        let (itemCount, memberCount, loanCount) = (snapshot.itemCount, snapshot.memberCount, snapshot.loanCount)
        writer.write(UInt64(itemCount))
        snapshot.forEachItem { item in
            item.encode(to: &writer)
            return take()
        }
        try finish("items", count: itemCount)
        let membersOffset = bodyLength + UInt64(writer.bytes.count)
        writer.write(UInt64(memberCount))
        snapshot.forEachMember { member in
            member.encode(to: &writer)
            return take()
        }
        try finish("members", count: memberCount)
        let loansOffset = bodyLength + UInt64(writer.bytes.count)
        writer.write(UInt64(loanCount))
        snapshot.forEachLoan { loan in
            loan.encode(to: &writer)
            return take()
        }
        try finish("loans", count: loanCount)
        try flush(force: true)
        var trailer = ByteWriter(capacity: trailerBytes)
        trailer.write(membersOffset)
        trailer.write(loansOffset)
        trailer.write(UInt64(0))
        trailer.write(bodyLength)
        trailer.write(crc)
        for byte in trailerMagic { trailer.write(byte) }
        try staging.append(trailer.bytes)
        try staging.writeAll()
        try file.truncate(to: UInt64(headerBytes) + bodyLength + UInt64(trailerBytes))
        try file.sync()
        try storage.rename(temporary, to: path)
        try storage.syncDirectory(directory)
    }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case unreadable(String)
        case unknownVersion(UInt16)
        case damaged(String)

        public var description: String {
            switch self {
            case .unreadable(let reason): "cannot be read: \(reason)"
            case .unknownVersion(let version): "has format version \(version), which this build does not know"
            case .damaged(let reason): "is damaged: \(reason)"
            }
        }
    }

    /// Reads and verifies a snapshot; any damage is reported, never guessed around.
    public static func read(path: String, storage: any Storage) -> Result<(lsn: UInt64, snapshot: EngineSnapshot), Problem> {
        let bytes: [UInt8]
        do {
            let file = try storage.open(path, create: false)
            defer { file.close() }
            bytes = try file.read(at: 0, count: Int(try file.size()))
        } catch {
            return .failure(.unreadable(error.description))
        }
        guard bytes.count >= headerBytes + trailerBytes else { return .failure(.damaged("too short to be a snapshot")) }
        let lsn: UInt64
        switch FileHeader.parse(bytes, magic: magic, version: version) {
        case .success(let found): lsn = found
        case .failure(.wrongMagic): return .failure(.damaged("not a snapshot file"))
        case .failure(.checksumMismatch): return .failure(.damaged("header checksum mismatch"))
        case .failure(.unknownVersion(let found)): return .failure(.unknownVersion(found))
        }
        do {
            var trailer = ByteReader(bytes, offset: bytes.count - trailerBytes)
            let membersOffset = Int(try trailer.read(UInt64.self))
            let loansOffset = Int(try trailer.read(UInt64.self))
            _ = try trailer.read(UInt64.self)
            let bodyLength = try trailer.read(UInt64.self)
            let bodyChecksum = try trailer.read(UInt32.self)
            let bodyEnd = bytes.count - trailerBytes
            guard Array(bytes[(bytes.count - 4)...]) == trailerMagic, bodyLength == UInt64(bodyEnd - headerBytes),
                membersOffset <= loansOffset, loansOffset <= Int(bodyLength)
            else {
                return .failure(.damaged("incomplete (no valid trailer)"))
            }
            // The checksum and the three sections proceed in parallel, one core each.
            let parts = Parts()
            DispatchQueue.concurrentPerform(iterations: 4) { part in
                do throws(DecodingError) {
                    switch part {
                    case 0:
                        parts.checksumMatches = bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[headerBytes..<bodyEnd])) } == bodyChecksum
                    case 1:
                        var reader = ByteReader(bytes, offset: headerBytes, end: headerBytes + membersOffset)
                        parts.header = try EngineHeader(from: &reader)
                        parts.items = try readArray(&reader, minimumBytes: Item.encodedBytesMin) { (reader: inout ByteReader) throws(DecodingError) in try Item(from: &reader) }
                        guard reader.isAtEnd else { throw DecodingError.invalid("trailing bytes after the items", offset: reader.offset) }
                    case 2:
                        var reader = ByteReader(bytes, offset: headerBytes + membersOffset, end: headerBytes + loansOffset)
                        parts.members = try readArray(&reader, minimumBytes: Member.encodedBytesMin) { (reader: inout ByteReader) throws(DecodingError) in try Member(from: &reader) }
                        guard reader.isAtEnd else { throw DecodingError.invalid("trailing bytes after the members", offset: reader.offset) }
                    default:
                        var reader = ByteReader(bytes, offset: headerBytes + loansOffset, end: bodyEnd)
                        parts.loans = try readArray(&reader, minimumBytes: Loan.encodedBytesMin) { (reader: inout ByteReader) throws(DecodingError) in try Loan(from: &reader) }
                        guard reader.isAtEnd else { throw DecodingError.invalid("trailing bytes after the loans", offset: reader.offset) }
                    }
                } catch {
                    parts.fail(part, error)
                }
            }
            guard parts.checksumMatches else { return .failure(.damaged("body checksum mismatch")) }
            if let failure = parts.failure { return .failure(.damaged(failure)) }
            guard let engineHeader = parts.header, let items = parts.items, let members = parts.members, let loans = parts.loans else {
                return .failure(.damaged("a section did not decode"))
            }
            return .success((lsn, EngineSnapshot(header: engineHeader, items: items, members: members, loans: loans)))
        } catch {
            return .failure(.damaged(error.description))
        }
    }

    /// What the parallel decoders produce; each writes only its own fields.
    private final class Parts: @unchecked Sendable {
        var checksumMatches = false
        var header: EngineHeader?
        var items: [Item]?
        var members: [Member]?
        var loans: [Loan]?
        private let lock = RecursiveLock()
        private(set) var failure: String?

        func fail(_ part: Int, _ error: DecodingError) {
            lock.withLock { failure = failure ?? "section \(part): \(error)" }
        }
    }

    private static func readArray<T>(_ reader: inout ByteReader, minimumBytes: Int, _ element: (inout ByteReader) throws(DecodingError) -> T) throws(DecodingError) -> [T] {
        let count = try reader.read(UInt64.self)
        guard count <= UInt64(reader.remaining / minimumBytes) else { throw DecodingError.invalid("count \(count)", offset: reader.offset - 8) }
        var elements: [T] = []
        elements.reserveCapacity(Int(count))
        for _ in 0..<count { elements.append(try element(&reader)) }
        return elements
    }
}

/// Bytes on their way to a file in whole blocks: an aligned buffer of whole blocks, written out
/// each time it fills. Takes any amount at once.
final class BlockBuffer {
    private let base: UnsafeMutableRawPointer
    private let capacity: Int
    private let file: any StorageFile
    private var count = 0
    /// Where the next block goes in the file.
    private var fileOffset: UInt64 = 0

    init(capacity: Int, file: any StorageFile) {
        self.capacity = Self.wholeBlocks(max(1, capacity))
        base = UnsafeMutableRawPointer.allocate(byteCount: self.capacity, alignment: storageBlockBytes)
        self.file = file
    }

    deinit { base.deallocate() }

    /// `bytes` rounded up to whole blocks.
    private static func wholeBlocks(_ bytes: Int) -> Int {
        (bytes + storageBlockBytes - 1) / storageBlockBytes * storageBlockBytes
    }

    func append(_ bytes: [UInt8]) throws(StorageError) {
        var done = 0
        while done < bytes.count {
            let taken = min(capacity - count, bytes.count - done)
            bytes.withUnsafeBytes { (base + count).copyMemory(from: $0.baseAddress! + done, byteCount: taken) }
            count += taken
            done += taken
            if count == capacity { try writeOut() }
        }
    }

    /// Writes everything held, the last block padded with zeros (the caller cuts the file to
    /// its length).
    func writeAll() throws(StorageError) {
        let padded = Self.wholeBlocks(count)
        (base + count).initializeMemory(as: UInt8.self, repeating: 0, count: padded - count)
        count = padded
        try writeOut()
    }

    /// Writes the buffer, which holds whole blocks, and empties it.
    private func writeOut() throws(StorageError) {
        guard count > 0 else { return }
        try file.writeAligned(UnsafeRawBufferPointer(start: base, count: count), at: fileOffset)
        fileOffset += UInt64(count)
        count = 0
    }
}
