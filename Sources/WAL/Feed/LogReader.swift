import Engine

/// Why records could not be handed to a subscriber.
public enum FeedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The log before `oldest` was removed after a snapshot.
    case historyUnavailable(requested: UInt64, oldest: UInt64)
    /// The position is beyond the next record the log will write.
    case positionAhead(requested: UInt64, durable: UInt64)
    /// A durable record could not be read back as written (damage, or a failing disk).
    case unreadable(file: String, offset: UInt64, lsn: UInt64, reason: String)

    public var description: String {
        switch self {
        case .historyUnavailable(let requested, let oldest): "events at LSN \(requested) are no longer kept; the oldest kept is LSN \(oldest)"
        case .positionAhead(let requested, let durable): "LSN \(requested) is past the end of the log (durable LSN \(durable))"
        case .unreadable(let file, let offset, let lsn, let reason): "cannot read LSN \(lsn) back from \(file) at offset \(offset): \(reason)"
        }
    }
}

/// Reads durable records back from the log's segments, in LSN order, for subscribers that are
/// behind what `LogFeed` keeps in memory. Reads a chunk at a time and checks every record's
/// frame (length, checksum, LSN) as recovery does. Blocking: run it off the cooperative pool.
public struct LogReader: Sendable {
    /// Bytes read from a segment at once (more when one record is larger).
    static let chunkBytes = 1 << 20

    let directory: String
    let storage: any Storage
    public private(set) var nextLSN: UInt64
    private var segment: (file: any StorageFile, name: String)?
    private var offset: UInt64 = 0

    public init(directory: String, storage: any Storage, from lsn: UInt64) {
        self.directory = directory
        self.storage = storage
        nextLSN = lsn
    }

    /// Segments on disk, ascending by first LSN.
    static func segments(directory: String, storage: any Storage) throws(StorageError) -> [(first: UInt64, name: String)] {
        try storage.list(directory).compactMap { name in LogFormat.firstLSN(ofSegment: name).map { ($0, name) } }.sorted { $0.first < $1.first }
    }

    /// The oldest LSN the segments on disk hold, if any.
    public static func oldestLSN(directory: String, storage: any Storage) throws(StorageError) -> UInt64? {
        try segments(directory: directory, storage: storage).first?.first
    }

    /// Records from `nextLSN` through at most `last` (which must be durable), about `maxBytes`
    /// of payload (at least one record).
    public mutating func read(through last: UInt64, maxBytes: Int) throws -> [LogRecord] {
        guard nextLSN <= last else { return [] }
        if segment == nil { try openSegment() }
        var records: [LogRecord] = []
        var bytes = 0
        while nextLSN <= last, records.isEmpty || bytes < maxBytes {
            guard let (file, name) = segment else { break }
            let chunk = try file.read(at: offset, count: Self.chunkBytes)
            var position = 0
            var advanced = false
            while nextLSN <= last, records.isEmpty || bytes < maxBytes {
                let frame = Frame(chunk, at: position)
                if frame.isEnd && (frame.complete || chunk.count < Self.chunkBytes) {
                    // This segment's records end here; the next LSN starts the next segment.
                    try nextSegment(after: name)
                    position = 0
                    advanced = true
                    break
                }
                guard frame.complete, position + frame.size <= chunk.count else {
                    if position == 0 {
                        // One record larger than a chunk: read exactly it.
                        let whole = try file.read(at: offset, count: frame.complete ? frame.size : LogFormat.recordHeaderBytes)
                        let big = Frame(whole, at: 0)
                        guard let payload = big.validPayload(lsn: nextLSN) else {
                            throw FeedError.unreadable(file: name, offset: offset, lsn: nextLSN, reason: big.problem(lsn: nextLSN) ?? "short read")
                        }
                        records.append(LogRecord(lsn: nextLSN, payload: Array(payload)))
                        bytes += payload.count
                        offset += UInt64(big.size)
                        nextLSN += 1
                        advanced = true
                    }
                    break
                }
                guard let payload = frame.validPayload(lsn: nextLSN) else {
                    throw FeedError.unreadable(file: name, offset: offset + UInt64(position), lsn: nextLSN, reason: frame.problem(lsn: nextLSN) ?? "invalid")
                }
                records.append(LogRecord(lsn: nextLSN, payload: Array(payload)))
                bytes += payload.count
                position += frame.size
                nextLSN += 1
                advanced = true
            }
            offset += UInt64(position)
            if !advanced { throw FeedError.unreadable(file: name, offset: offset, lsn: nextLSN, reason: "no record where one was expected") }
        }
        return records
    }

    /// Opens the segment holding `nextLSN` and skips to that record.
    private mutating func openSegment() throws {
        let segments = try Self.segments(directory: directory, storage: storage)
        guard let oldest = segments.first?.first, nextLSN >= oldest else {
            throw FeedError.historyUnavailable(requested: nextLSN, oldest: segments.first?.first ?? nextLSN)
        }
        let holding = segments.last { $0.first <= nextLSN }!
        try open(holding.name)
        let target = nextLSN
        nextLSN = holding.first
        // Walk the frames up to the record wanted (headers only: the payloads are skipped).
        while nextLSN < target {
            let header = try segment!.file.read(at: offset, count: LogFormat.recordHeaderBytes)
            let frame = Frame(header, at: 0)
            guard frame.complete, !frame.isEnd, frame.lsn == nextLSN, frame.length > 0 else {
                throw FeedError.unreadable(file: holding.name, offset: offset, lsn: nextLSN, reason: "the segment ends before LSN \(target)")
            }
            offset += UInt64(frame.size)
            nextLSN += 1
        }
    }

    private mutating func nextSegment(after name: String) throws {
        segment?.file.close()
        segment = nil
        let segments = try Self.segments(directory: directory, storage: storage)
        guard let next = segments.first(where: { $0.first == nextLSN }) else {
            let oldest = segments.first?.first ?? nextLSN
            if oldest > nextLSN { throw FeedError.historyUnavailable(requested: nextLSN, oldest: oldest) }
            throw FeedError.unreadable(file: name, offset: offset, lsn: nextLSN, reason: "no segment starts at LSN \(nextLSN)")
        }
        try open(next.name)
    }

    private mutating func open(_ name: String) throws {
        // Pruned after it was listed: the history is gone.
        guard let file = try? storage.open(directory + "/" + name, create: false) else {
            let oldest = (try? Self.oldestLSN(directory: directory, storage: storage)) ?? nil
            if let oldest, oldest <= nextLSN { _ = try storage.open(directory + "/" + name, create: false) }
            throw FeedError.historyUnavailable(requested: nextLSN, oldest: oldest ?? nextLSN)
        }
        let header = try file.read(at: 0, count: LogFormat.segmentHeaderBytes)
        guard case .success = LogFormat.parseSegmentHeader(header) else {
            file.close()
            throw FeedError.unreadable(file: name, offset: 0, lsn: nextLSN, reason: "damaged segment header")
        }
        segment = (file, name)
        offset = UInt64(LogFormat.segmentHeaderBytes)
    }

    public mutating func close() {
        segment?.file.close()
        segment = nil
    }
}
