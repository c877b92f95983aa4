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
/// frame (length, checksum, LSN) as recovery does. Between reads it keeps only the segment's
/// name and offset, never an open file, so a follower that stalls does not pin a segment that
/// a snapshot has since removed. Blocking: run it off the cooperative pool.
public struct LogReader: Sendable {
    /// Bytes read from a segment at once (more when one record is larger).
    static let chunkBytes = 1 << 20

    let directory: String
    let storage: any Storage
    public private(set) var nextLSN: UInt64
    /// The segment holding `nextLSN` and where its record starts; nil until located.
    private var place: (name: String, offset: UInt64)?

    public init(directory: String, storage: any Storage, from lsn: UInt64) {
        self.directory = directory
        self.storage = storage
        nextLSN = lsn
    }

    /// Segments on disk, ascending by first LSN.
    static func segments(directory: String, storage: any Storage) throws(StorageError) -> [(first: UInt64, name: String)] {
        LogFormat.segments(among: try storage.list(directory))
    }

    /// The oldest LSN the segments on disk hold, if any.
    public static func oldestLSN(directory: String, storage: any Storage) throws(StorageError) -> UInt64? {
        try segments(directory: directory, storage: storage).first?.first
    }

    /// Records from `nextLSN` through at most `last` (which must be durable): as many as fit in
    /// `maxBytes` of payload, or the one record when it alone is larger.
    public mutating func read(through last: UInt64, maxBytes: Int) throws -> [LogRecord] {
        guard nextLSN <= last else { return [] }
        if place == nil { try locate() }
        var records: [LogRecord] = []
        var bytes = 0
        var file = try open(place!.name)
        defer { file.close() }
        while nextLSN <= last {
            let name = place!.name
            let chunk = try file.read(at: place!.offset, count: Self.chunkBytes)
            var position = 0
            var full = false
            var moved = false
            while nextLSN <= last {
                let frame = Frame(chunk, at: position)
                if frame.isEnd && (frame.complete || chunk.count < Self.chunkBytes) {
                    // This segment's records end here; the next LSN starts the next segment.
                    let next = try nextSegment(after: name)
                    file.close()
                    file = try open(next)
                    place = (next, UInt64(LogFormat.segmentHeaderBytes))
                    moved = true
                    break
                }
                if frame.complete, frame.length > LogFormat.recordPayloadBytesMax {
                    throw FeedError.unreadable(file: name, offset: place!.offset + UInt64(position), lsn: nextLSN, reason: "impossible length \(frame.length)")
                }
                if !records.isEmpty, bytes + frame.length > maxBytes {
                    full = true
                    break
                }
                guard frame.complete, position + frame.size <= chunk.count else {
                    if position == 0 {
                        // One record larger than a chunk: read exactly it.
                        let whole = try file.read(at: place!.offset, count: frame.complete ? frame.size : LogFormat.recordHeaderBytes)
                        let big = Frame(whole, at: 0)
                        guard let payload = big.validPayload(lsn: nextLSN) else {
                            throw FeedError.unreadable(file: name, offset: place!.offset, lsn: nextLSN, reason: big.problem(lsn: nextLSN) ?? "short read")
                        }
                        records.append(LogRecord(lsn: nextLSN, payload: Array(payload)))
                        bytes += payload.count
                        position = big.size
                        nextLSN += 1
                    }
                    break
                }
                guard let payload = frame.validPayload(lsn: nextLSN) else {
                    throw FeedError.unreadable(file: name, offset: place!.offset + UInt64(position), lsn: nextLSN, reason: frame.problem(lsn: nextLSN) ?? "invalid")
                }
                records.append(LogRecord(lsn: nextLSN, payload: Array(payload)))
                bytes += payload.count
                position += frame.size
                nextLSN += 1
            }
            // Reading goes on at the start of the next segment.
            if moved { continue }
            guard position > 0 || full else {
                throw FeedError.unreadable(file: name, offset: place!.offset, lsn: nextLSN, reason: "no record where one was expected")
            }
            place!.offset += UInt64(position)
            if full || (!records.isEmpty && bytes >= maxBytes) { break }
        }
        return records
    }

    /// Finds the segment holding `nextLSN` and the offset of that record, walking the frames
    /// before it a chunk at a time (their payloads are not checked here; the ones handed out are).
    private mutating func locate() throws {
        let segments = try Self.segments(directory: directory, storage: storage)
        guard let oldest = segments.first?.first, nextLSN >= oldest else {
            throw FeedError.historyUnavailable(requested: nextLSN, oldest: segments.first?.first ?? nextLSN)
        }
        let holding = segments.last { $0.first <= nextLSN }!
        let file = try open(holding.name)
        defer { file.close() }
        var offset = UInt64(LogFormat.segmentHeaderBytes)
        var lsn = holding.first
        while lsn < nextLSN {
            let chunk = try file.read(at: offset, count: Self.chunkBytes)
            var position = 0
            while lsn < nextLSN, position + LogFormat.recordHeaderBytes <= chunk.count {
                let frame = Frame(chunk, at: position)
                guard frame.complete, !frame.isEnd, frame.lsn == lsn, frame.length > 0, frame.length <= LogFormat.recordPayloadBytesMax else {
                    throw FeedError.unreadable(file: holding.name, offset: offset + UInt64(position), lsn: lsn, reason: "the segment ends before LSN \(nextLSN)")
                }
                position += frame.size
                lsn += 1
            }
            guard position > 0 else { throw FeedError.unreadable(file: holding.name, offset: offset, lsn: lsn, reason: "short segment") }
            offset += UInt64(position)
        }
        place = (holding.name, offset)
    }

    /// The name of the segment that starts at `nextLSN`, the one after `name`.
    private func nextSegment(after name: String) throws -> String {
        let segments = try Self.segments(directory: directory, storage: storage)
        guard let next = segments.first(where: { $0.first == nextLSN }) else {
            let oldest = segments.first?.first ?? nextLSN
            if oldest > nextLSN { throw FeedError.historyUnavailable(requested: nextLSN, oldest: oldest) }
            throw FeedError.unreadable(file: name, offset: 0, lsn: nextLSN, reason: "no segment starts at LSN \(nextLSN)")
        }
        return next.name
    }

    /// Opens a segment and checks its header.
    private func open(_ name: String) throws -> any StorageFile {
        let file: any StorageFile
        do {
            file = try storage.open(directory + "/" + name, create: false)
        } catch {
            // Removed after it was listed (a snapshot pruned it): that history is gone.
            guard case .notFound = error else { throw error }
            let oldest = (try? Self.oldestLSN(directory: directory, storage: storage)) ?? nil
            throw FeedError.historyUnavailable(requested: nextLSN, oldest: oldest ?? nextLSN)
        }
        let header = try file.read(at: 0, count: LogFormat.segmentHeaderBytes)
        guard case .success = LogFormat.parseSegmentHeader(header) else {
            file.close()
            throw FeedError.unreadable(file: name, offset: 0, lsn: nextLSN, reason: "damaged segment header")
        }
        return file
    }
}
