import Engine

/// Reads the log segments after a snapshot, replays their records into the engine, and decides
/// what a bad record means: at the very end of the log it is a torn write (cut off and
/// reported); with any valid record after it, it is corruption (refuse, unless overridden).
struct LogScanner {
    let directory: String
    let storage: any Storage
    let segments: [(first: UInt64, name: String)]
    let snapshotLSN: UInt64
    let options: RecoveryOptions
    let log: (String) -> Void

    private var pending = ReplayChunk()
    private var segmentBuffer: [UInt8] = []
    /// The chunk the engine is applying while the next one is decoded.
    private var applying: Task<Void, Never>?
    /// The first segment replayed, and the one being read (indexes into `segments`).
    private var firstReplayed = 0
    private var reading: Int?
    /// When replay began, and when it last said how far it has come (monotonic seconds).
    private var replayStart = 0.0
    private var lastProgress = 0.0

    init(directory: String, storage: any Storage, segments: [(first: UInt64, name: String)], snapshotLSN: UInt64, options: RecoveryOptions, log: @escaping (String) -> Void) {
        self.directory = directory
        self.storage = storage
        self.segments = segments
        self.snapshotLSN = snapshotLSN
        self.options = options
        self.log = log
    }

    mutating func replay(into engine: Engine, report: inout RecoveryReport) async throws(RecoveryError) -> LogPosition {
        let position = try await scan(into: engine, report: &report)
        await applying?.value
        return position
    }

    private mutating func scan(into engine: Engine, report: inout RecoveryReport) async throws(RecoveryError) -> LogPosition {
        // Segments whose every record the snapshot already holds are skipped.
        var start = 0
        while start + 1 < segments.count, segments[start + 1].first - 1 <= snapshotLSN { start += 1 }
        guard start < segments.count else { return LogPosition(segment: nil, offset: 0, nextLSN: snapshotLSN + 1) }
        if segments[start].first > snapshotLSN + 1 { throw .missingRecords(after: snapshotLSN, file: segments[start].name) }

        firstReplayed = start
        replayStart = monotonicSeconds()
        lastProgress = replayStart
        var expectedLSN = segments[start].first
        var expectedSequence = await engine.currentHeader().nextSequence
        var recordCheck = RecordCheck(header: await engine.currentHeader())
        var position = LogPosition(segment: nil, offset: 0, nextLSN: snapshotLSN + 1)
        for index in start..<segments.count {
            let name = segments[index].name
            reading = index
            let bytes = try readReusingBuffer(name)
            switch LogFormat.parseSegmentHeader(bytes) {
            case .success(let first):
                guard first == expectedLSN else {
                    if first > expectedLSN { throw .missingRecords(after: expectedLSN - 1, file: name) }
                    throw .corruptLog(file: name, offset: 0, lsn: first, reason: "segment starts at LSN \(first), expected \(expectedLSN)")
                }
            case .failure(.unknownVersion(let version)):
                throw .unknownFormat(file: name, detail: "log format version \(version)")
            case .failure:
                // A segment whose header never became durable can only be the last one, with
                // nothing after it: its creation was torn.
                if index == segments.count - 1 {
                    report.tornBytes += UInt64(nonZeroExtent(bytes, from: 0))
                    log("recovery: removing \(name): its header was never completely written (torn segment creation)")
                    try remove(name)
                    try await flush(into: engine, report: &report)
                    return position
                }
                throw .corruptLog(file: name, offset: 0, lsn: expectedLSN, reason: "damaged segment header")
            }
            var offset = LogFormat.segmentHeaderBytes
            position = LogPosition(segment: name, offset: UInt64(offset), nextLSN: expectedLSN)
            while true {
                let frame = Frame(bytes, at: offset)
                if frame.isEnd { break }
                let problem = frame.problem(lsn: expectedLSN)
                // Decoded onto the end of the pending chunk (taken off again unless replayed).
                let decoded = problem == nil ? decode(bytes, frame) : nil
                if problem == nil, decoded == nil {
                    // A valid checksum over bytes this build cannot read (damage, or an event a newer
                    // version wrote): never a torn write, so never cut silently, even at the end.
                    let reason = "record has a valid checksum but does not decode (damaged, or written by a newer version)"
                    try await corruptionFound(index: index, offset: offset, lsn: expectedLSN, reason: reason, report: &report)
                    try await flush(into: engine, report: &report)
                    return LogPosition(segment: name, offset: UInt64(offset), nextLSN: expectedLSN)
                }
                guard let record = decoded, record.firstSequence >= expectedSequence || expectedLSN <= snapshotLSN else {
                    if decoded != nil { pending.removeLast() }
                    let reason = problem ?? "record does not continue the sequence"
                    try await badRecord(index: index, bytes: bytes, offset: offset, lsn: expectedLSN, reason: reason, report: &report)
                    try await flush(into: engine, report: &report)
                    return LogPosition(segment: name, offset: UInt64(offset), nextLSN: expectedLSN)
                }
                if expectedLSN > snapshotLSN {
                    if let problem = recordCheck.check(record, events: pending.events(of: pending.count - 1)) {
                        // A valid checksum over an impossible record: damage, never a torn write.
                        pending.removeLast()
                        try await corruptionFound(index: index, offset: offset, lsn: expectedLSN, reason: "record is inconsistent: \(problem)", report: &report)
                        try await flush(into: engine, report: &report)
                        return LogPosition(segment: name, offset: UInt64(offset), nextLSN: expectedLSN)
                    }
                    expectedSequence = record.firstSequence + SequenceNumber(record.commandCount)
                    if pending.count >= Recovery.replayChunk || pending.events.count >= Recovery.replayChunkEvents { try await flush(into: engine, report: &report) }
                    logProgress(report)
                } else {
                    // The snapshot already holds it.
                    pending.removeLast()
                    if expectedLSN == snapshotLSN {
                        await applying?.value
                        expectedSequence = await engine.currentHeader().nextSequence
                        recordCheck = RecordCheck(header: await engine.currentHeader())
                    }
                }
                offset += frame.size
                expectedLSN += 1
                position = LogPosition(segment: name, offset: UInt64(offset), nextLSN: expectedLSN)
            }
            // Zeros after the last record: a valid record further on in this segment means damage,
            // not an end. (The next segment, if any, continues the log: the loop reads it.)
            if let found = laterValidRecord(index: index, bytes: bytes, after: offset, lsn: expectedLSN, searchLaterSegments: false) {
                try await corruptionFound(index: index, offset: offset, lsn: expectedLSN, reason: "record missing before \(found)", report: &report)
                try await flush(into: engine, report: &report)
                return position
            }
        }
        try await flush(into: engine, report: &report)
        return position
    }

    /// Reads a segment into the scanner's buffer, which the previous segment's bytes leave
    /// unshared once decoded: segments are one size, so no fresh memory is touched.
    private mutating func readReusingBuffer(_ name: String) throws(RecoveryError) -> [UInt8] {
        try read(name, into: &segmentBuffer)
        return segmentBuffer
    }

    /// Reads a segment into a buffer of its own (the rare look at a later segment).
    private func read(_ name: String) throws(RecoveryError) -> [UInt8] {
        var bytes: [UInt8] = []
        try read(name, into: &bytes)
        return bytes
    }

    private func read(_ name: String, into buffer: inout [UInt8]) throws(RecoveryError) {
        do {
            let file = try storage.open(directory + "/" + name, create: false)
            defer { file.close() }
            try file.read(at: 0, count: Int(try file.size()), into: &buffer)
        } catch {
            throw .storage(error)
        }
    }

    /// Decodes a record in place in its segment's bytes (no copy) onto the end of the pending
    /// chunk, and returns its header; nil (and the chunk unchanged) when it does not decode.
    private mutating func decode(_ bytes: [UInt8], _ frame: Frame) -> BatchRecord.Header? {
        let start = frame.offset + LogFormat.recordHeaderBytes
        var reader = ByteReader(bytes, offset: start, end: start + frame.length)
        // Replay needs the events only: who caused them is checked, not kept.
        guard (try? pending.decode(from: &reader)) != nil else { return nil }
        guard reader.isAtEnd else {
            pending.removeLast()
            return nil
        }
        return pending.headers.last
    }

    /// Hands the decoded chunk to the engine and returns at once: the engine applies it while
    /// the next chunk is decoded. Chunks apply in order (one in flight at a time).
    private mutating func flush(into engine: Engine, report: inout RecoveryReport) async throws(RecoveryError) {
        guard !pending.isEmpty else { return }
        report.recordsReplayed += UInt64(pending.count)
        report.eventsReplayed += UInt64(pending.events.count)
        await applying?.value
        let chunk = pending
        applying = Task { await engine.apply(chunk) }
        // A new chunk: the engine still reads the one just handed over.
        pending = ReplayChunk()
    }

    /// A long replay (a large log after a crash, with snapshots far apart) says how far it has
    /// come every `progressIntervalSeconds`, so that an operator waiting for a start or a
    /// `libra verify` sees it move.
    private mutating func logProgress(_ report: RecoveryReport) {
        let now = monotonicSeconds()
        guard now - lastProgress >= options.progressIntervalSeconds, let reading else { return }
        lastProgress = now
        // Decoded so far: what was handed to the engine, and the chunk still being gathered.
        let records = report.recordsReplayed + UInt64(pending.count)
        let events = report.eventsReplayed + UInt64(pending.events.count)
        log(
            "recovery: replaying segment \(reading - firstReplayed + 1) of \(segments.count - firstReplayed) (\(segments[reading].name)): \(records) records "
                + "(\(events) events) read in \(Int(now - replayStart)) s")
    }

    /// A bad record: corruption when a valid one follows, else a torn final write.
    private mutating func badRecord(index: Int, bytes: [UInt8], offset: Int, lsn: UInt64, reason: String, report: inout RecoveryReport) async throws(RecoveryError) {
        if let found = laterValidRecord(index: index, bytes: bytes, after: offset + 1, lsn: lsn, searchLaterSegments: true) {
            try await corruptionFound(index: index, offset: offset, lsn: lsn, reason: "\(reason); a valid record follows at \(found)", report: &report)
            return
        }
        let torn = nonZeroExtent(bytes, from: offset)
        report.tornBytes += UInt64(torn)
        log("recovery: torn write at the end of the log: cut \(torn) bytes from \(segments[index].name) at offset \(offset) (LSN \(lsn): \(reason))")
        try cut(index: index, offset: offset)
    }

    private mutating func corruptionFound(index: Int, offset: Int, lsn: UInt64, reason: String, report: inout RecoveryReport) async throws(RecoveryError) {
        let name = segments[index].name
        guard options.truncateCorruptLog else { throw .corruptLog(file: name, offset: UInt64(offset), lsn: lsn, reason: reason) }
        log("recovery: OVERRIDE --truncate-corrupt-log: discarding LSN \(lsn) and everything after it, from \(name) offset \(offset) (\(reason))")
        try cut(index: index, offset: offset)
    }

    /// Discards everything from `offset` in segment `index` on, including later segments.
    private func cut(index: Int, offset: Int) throws(RecoveryError) {
        do {
            let file = try storage.open(directory + "/" + segments[index].name, create: false)
            defer { file.close() }
            try file.truncate(to: UInt64(offset))
            try file.allocate(size: max(options.segmentBytes, UInt64(offset)))
            try file.sync()
            for later in segments[(index + 1)...] { try storage.remove(directory + "/" + later.name) }
            try storage.syncDirectory(directory)
        } catch {
            throw .storage(error)
        }
    }

    private func remove(_ name: String) throws(RecoveryError) {
        do {
            try storage.remove(directory + "/" + name)
            try storage.syncDirectory(directory)
        } catch {
            throw .storage(error)
        }
    }

    /// Where a valid record with an LSN of at least `lsn` starts after `offset` in this segment
    /// or in a later one, described; nil when there is none.
    private func laterValidRecord(index: Int, bytes: [UInt8], after offset: Int, lsn: UInt64, searchLaterSegments: Bool) -> String? {
        var position = max(offset, LogFormat.segmentHeaderBytes)
        while position + LogFormat.recordHeaderBytes <= bytes.count {
            // A frame's length is not zero, so a frame can only start within 3 bytes before a
            // non-zero byte: skip zero runs (a preallocated segment's tail) a word at a time.
            guard let nonZero = Self.nextNonZero(bytes, from: position) else { break }
            position = max(position, nonZero - 3)
            let frame = Frame(bytes, at: position)
            // The LSN field is checked first: it rules out almost every position cheaply.
            if frame.lsn >= lsn, frame.lsn < lsn + (1 << 32), frame.validPayload(lsn: frame.lsn) != nil {
                return "\(segments[index].name) offset \(position) (LSN \(frame.lsn))"
            }
            position += 1
        }
        guard searchLaterSegments else { return nil }
        for later in segments[(index + 1)...] {
            guard let bytes = try? read(later.name), case .success = LogFormat.parseSegmentHeader(bytes) else { continue }
            let frame = Frame(bytes, at: LogFormat.segmentHeaderBytes)
            if !frame.isEnd, frame.lsn >= lsn, frame.validPayload(lsn: frame.lsn) != nil { return "\(later.name) (LSN \(frame.lsn))" }
        }
        return nil
    }

    /// The index of the first non-zero byte at or after `start`.
    static func nextNonZero(_ bytes: [UInt8], from start: Int) -> Int? {
        bytes.withUnsafeBytes { buffer -> Int? in
            var index = start
            while index < buffer.count, index % 8 != 0 {
                if buffer[index] != 0 { return index }
                index += 1
            }
            while index + 8 <= buffer.count, buffer.load(fromByteOffset: index, as: UInt64.self) == 0 { index += 8 }
            while index < buffer.count {
                if buffer[index] != 0 { return index }
                index += 1
            }
            return nil
        }
    }

    /// Bytes from `offset` to the last non-zero byte.
    private func nonZeroExtent(_ bytes: [UInt8], from offset: Int) -> Int {
        var end = bytes.count
        while end > offset, bytes[end - 1] == 0 { end -= 1 }
        return end - offset
    }
}

/// One record frame as found on disk, not yet trusted.
struct Frame {
    let bytes: [UInt8]
    let offset: Int
    let length: Int
    let checksum: UInt32
    let lsn: UInt64
    let complete: Bool

    init(_ bytes: [UInt8], at offset: Int) {
        self.bytes = bytes
        self.offset = offset
        var reader = ByteReader(bytes, offset: offset)
        if let length = try? reader.read(UInt32.self), let checksum = try? reader.read(UInt32.self), let lsn = try? reader.read(UInt64.self) {
            self.length = Int(length)
            self.checksum = checksum
            self.lsn = lsn
            complete = true
        } else {
            length = 0
            checksum = 0
            lsn = 0
            complete = false
        }
    }

    var size: Int { LogFormat.recordHeaderBytes + length }

    /// Unwritten (zero) space, or too little room left for a frame header of zeros.
    var isEnd: Bool {
        if !complete { return bytes[offset...].allSatisfy { $0 == 0 } }
        return length == 0 && checksum == 0 && lsn == 0
    }

    func validPayload(lsn expected: UInt64) -> ArraySlice<UInt8>? {
        problem(lsn: expected) == nil ? bytes[(offset + LogFormat.recordHeaderBytes)..<(offset + size)] : nil
    }

    func problem(lsn expected: UInt64) -> String? {
        guard complete else { return "frame header cut short" }
        guard length > 0, length <= LogFormat.recordPayloadBytesMax else { return "impossible length \(length)" }
        guard offset + size <= bytes.count else { return "record runs past the end of the segment" }
        guard lsn == expected else { return "LSN \(lsn) where \(expected) was expected" }
        let computed = bytes.withUnsafeBytes { buffer in
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: buffer[(offset + 8)..<(offset + size)]))
        }
        guard computed == checksum else { return "checksum mismatch" }
        return nil
    }
}
