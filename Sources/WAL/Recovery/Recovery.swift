import Engine

public struct RecoveryOptions: Sendable {
    /// Start even though the log is corrupt, discarding every record from the corruption on.
    /// Logged loudly; `libra serve --truncate-corrupt-log`.
    public var truncateCorruptLog: Bool
    public var segmentBytes: UInt64
    /// Start building the search index in the background once the log is replayed (a server
    /// wants it; an offline check does not).
    public var buildsSearchIndex: Bool
    /// How often a long replay logs how far it has come (0: at every chunk of records).
    public var progressIntervalSeconds: Double

    public init(truncateCorruptLog: Bool = false, segmentBytes: UInt64 = 64 << 20, buildsSearchIndex: Bool = true, progressIntervalSeconds: Double = 2) {
        self.truncateCorruptLog = truncateCorruptLog
        self.segmentBytes = segmentBytes
        self.buildsSearchIndex = buildsSearchIndex
        self.progressIntervalSeconds = progressIntervalSeconds
    }
}

public struct RecoveryReport: Sendable, Equatable {
    public var snapshotLSN: UInt64 = 0
    public var lastLSN: UInt64 = 0
    public var recordsReplayed: UInt64 = 0
    public var eventsReplayed: UInt64 = 0
    /// Bytes of a torn final write that were cut off.
    public var tornBytes: UInt64 = 0
    public var discardedSnapshots: [String] = []
    /// Time spent reading and loading the snapshot, and replaying the log after it.
    public var snapshotSeconds = 0.0
    public var replaySeconds = 0.0

    public init() {}
}

public enum RecoveryError: Error, Equatable, CustomStringConvertible {
    case corruptLog(file: String, offset: UInt64, lsn: UInt64, reason: String)
    case missingRecords(after: UInt64, file: String)
    case unknownFormat(file: String, detail: String)
    case storage(StorageError)

    public var description: String {
        switch self {
        case .corruptLog(let file, let offset, let lsn, let reason):
            "the log is corrupt in \(file) at byte offset \(offset), record LSN \(lsn) (\(reason)), and valid records follow it. "
                + "Refusing to start: restore the data directory from a backup, or start with --truncate-corrupt-log to discard "
                + "LSN \(lsn) and everything after it (this loses those records)."
        case .missingRecords(let after, let file):
            "log records after LSN \(after) are missing (the next segment is \(file)); restore the data directory from a backup"
        case .unknownFormat(let file, let detail):
            "\(file) is not in a format this build of Libra knows (\(detail)); use the Libra version that wrote it"
        case .storage(let error):
            "recovery could not read the data directory: \(error)"
        }
    }
}

/// Rebuilds an engine from a data directory: the newest valid snapshot, then every log record
/// after it. See docs/operations.md for what each outcome means to an operator.
public enum Recovery {
    public static let formatMarker = "FORMAT"
    /// The marker's one line; the number is the data format version.
    public static let formatLine = "libra-data 3\n"
    /// Records replayed per engine visit, and events: a chunk ends at whichever bound comes
    /// first, so that large batch records (a bulk load's, thousands of events each) still
    /// overlap decoding with applying, and the decoded events waiting stay bounded.
    static let replayChunk = 2048
    static let replayChunkEvents = 1 << 16

    public static func recover(
        into engine: Engine, directory: String, storage: any Storage, options: RecoveryOptions = RecoveryOptions(), log: @escaping (String) -> Void
    ) async throws(RecoveryError) -> (position: LogPosition, report: RecoveryReport) {
        var report = RecoveryReport()
        do {
            try storage.createDirectory(directory)
            try checkFormat(directory: directory, storage: storage)
            for name in try storage.list(directory) where name.hasSuffix(".tmp") { try storage.remove(directory + "/" + name) }
        } catch let error as RecoveryError {
            throw error
        } catch let error as StorageError {
            throw .storage(error)
        } catch {
            fatalError("unreachable: \(error)")
        }
        let names: [String]
        do { names = try storage.list(directory) } catch { throw .storage(error) }

        // The newest snapshot that reads back whole.
        let snapshots = names.compactMap { name in SnapshotFile.lsn(ofName: name).map { (lsn: $0, name: name) } }.sorted { $0.lsn > $1.lsn }
        let snapshotStart = monotonicSeconds()
        for candidate in snapshots {
            switch SnapshotFile.read(path: directory + "/" + candidate.name, storage: storage) {
            case .success(let (lsn, snapshot)):
                await engine.restore(snapshot)
                report.snapshotLSN = lsn
                log("recovery: loaded \(candidate.name) (\(snapshot.items.count) items, \(snapshot.members.count) members, \(snapshot.loans.count) loans)")
            case .failure(.unknownVersion(let version)):
                throw .unknownFormat(file: candidate.name, detail: "snapshot format version \(version)")
            case .failure(let problem):
                report.discardedSnapshots.append(candidate.name)
                log("recovery: WARNING \(candidate.name) \(problem); falling back to an older snapshot and a longer log")
                continue
            }
            break
        }

        report.snapshotSeconds = monotonicSeconds() - snapshotStart
        let replayStart = monotonicSeconds()
        let segments = LogFormat.segments(among: names)
        var scanner = LogScanner(directory: directory, storage: storage, segments: segments, snapshotLSN: report.snapshotLSN, options: options, log: log)
        let position = try await scanner.replay(into: engine, report: &report)
        report.lastLSN = position.nextLSN - 1
        report.replaySeconds = monotonicSeconds() - replayStart
        // Not before: the build would share the cores with the replay, and be thrown away if
        // the log changes an item.
        if options.buildsSearchIndex { await engine.startDeferredWork() }
        log("recovery: replayed \(report.recordsReplayed) records (\(report.eventsReplayed) events) in \(Int(report.replaySeconds * 1000)) ms; log continues at LSN \(position.nextLSN)")
        return (position, report)
    }

    /// A directory is ours when it is empty (then it is marked) or carries our format marker.
    static func checkFormat(directory: String, storage: any Storage) throws {
        let path = directory + "/" + formatMarker
        let names = try storage.list(directory)
        if names.contains(formatMarker) {
            let file = try storage.open(path, create: false)
            defer { file.close() }
            let text = String(decoding: try file.read(at: 0, count: 64), as: UTF8.self)
            guard text == formatLine else {
                throw RecoveryError.unknownFormat(file: path, detail: "marker says \(text.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            return
        }
        if names.contains(where: { LogFormat.firstLSN(ofSegment: $0) != nil || SnapshotFile.lsn(ofName: $0) != nil }) {
            throw RecoveryError.unknownFormat(file: path, detail: "log or snapshot files without a format marker")
        }
        let file = try storage.open(path, create: true)
        defer { file.close() }
        try file.write(Array(formatLine.utf8), at: 0, sync: true)
        try storage.syncDirectory(directory)
    }
}

extension String {
    func trimmingCharacters(in _: Whitespace) -> String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }

    enum Whitespace { case whitespacesAndNewlines }
}
