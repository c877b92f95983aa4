import CURing
import Engine

#if canImport(Glibc)
import Glibc
#endif

/// Appends batch records to the log with group commit. One thread owns the segment files: it
/// takes everything appended since its last write, writes it at once (and, under
/// `FsyncMode.always`, fdatasyncs it: pwrite + fdatasync, or a write linked to an fdatasync through
/// io_uring), advances the durable LSN and releases the waiters.
/// A second thread prepares the next segment (the spare) meanwhile: reserving and zero-filling
/// a segment takes tens of milliseconds that no commit should wait for.
public final class LogWriter: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var directory: String
        public var segmentBytes: UInt64
        public var fsync: FsyncMode
        /// Told of every group-commit write, on the writer thread (metrics); keep it short.
        public var observer: (@Sendable (WriteObservation) -> Void)?
        /// Told, on the writer thread, the LSN up to which records have just become durable.
        public var onDurable: (@Sendable (UInt64) -> Void)?

        public init(
            directory: String, segmentBytes: UInt64 = 64 << 20, fsync: FsyncMode = .always, observer: (@Sendable (WriteObservation) -> Void)? = nil,
            onDurable: (@Sendable (UInt64) -> Void)? = nil
        ) {
            self.observer = observer
            self.onDurable = onDurable
            precondition(segmentBytes >= UInt64(4 * LogFormat.recordHeaderBytes + LogFormat.segmentHeaderBytes), "segment too small")
            self.directory = directory
            self.segmentBytes = segmentBytes
            self.fsync = fsync
        }
    }

    /// One group-commit write: how many records and bytes, and how long the write (and its
    /// fdatasync, when synced) took.
    public struct WriteObservation: Sendable {
        public var records: UInt64
        public var bytes: Int
        public var seconds: Double
        public var synced: Bool
    }

    /// Counters for metrics and benchmarks.
    public struct Statistics: Sendable {
        public var records: UInt64 = 0
        public var writes: UInt64 = 0
        public var syncs: UInt64 = 0
        public var bytes: UInt64 = 0
        public var syncSecondsTotal: Double = 0
    }

    private let storage: any Storage
    public let configuration: Configuration
    private let lock = Mutex()
    private let wake = Condition()
    /// Signalled when the spare thread has work: the spare was taken, or the log is closing or failed.
    private let spareWake = Condition()

    // Guarded by `lock`.
    private var pending: [UInt8] = []
    private var pendingLast: UInt64
    private var nextLSN: UInt64
    private var durableLSN: UInt64
    private var waiters: [(lsn: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    /// Called on the writer thread, in the order registered, once their LSN is durable.
    private var callbacks: [(lsn: UInt64, callback: DurabilityCallback)] = []
    private var failure: WALError?
    private var closing = false
    /// Where the next appended record will land: admission mirrors the writer's layout exactly,
    /// so an admitted record always has preallocated room.
    private var layoutOffset: UInt64
    /// Whether a preallocated spare segment exists that no appended record has claimed yet.
    private var layoutSpare = false
    /// The prepared spare segment, until a roll takes it. The spare thread sets it, the writer
    /// thread takes it.
    private var spare: (file: any StorageFile, path: String)?
    /// When to try preallocating the next segment again after the disk was full.
    private var nextSpareAttempt = 0.0
    /// Whether the last attempt to preallocate a segment found the disk full.
    private var diskFull = false
    /// Admissions waiting for a spare segment, or for admitted records to be appended (see `admit`).
    private var roomWaiters: [CheckedContinuation<Void, Never>] = []
    /// Room (record bytes, by their bounds) that admitted records not yet appended may take.
    /// A caller that encodes its record after admission, while later batches run, holds room
    /// that a later admission must not promise again.
    private var reservedBytes: UInt64 = 0
    /// Set by `abandon`; the writer thread fails the log with it.
    private var abandonReason: String?
    private var statistics = Statistics()

    // Owned by the writer thread.
    private var segment: any StorageFile
    private var segmentOffset: UInt64
    private var thread: pthread_t?
    private var spareThread: pthread_t?

    /// Continues the log at `position` (from recovery).
    public init(storage: any Storage, configuration: Configuration, position: LogPosition) throws(StorageError) {
        self.storage = storage
        self.configuration = configuration
        nextLSN = position.nextLSN
        durableLSN = position.nextLSN - 1
        pendingLast = position.nextLSN - 1
        if let name = position.segment {
            segment = try storage.open(configuration.directory + "/" + name, create: false)
            segmentOffset = position.offset
        } else {
            let created = try Self.createSegment(storage: storage, configuration: configuration, firstLSN: position.nextLSN)
            segment = created
            try segment.write(LogFormat.segmentHeader(firstLSN: position.nextLSN), at: 0, sync: true)
            try storage.syncDirectory(configuration.directory)
            segmentOffset = UInt64(LogFormat.segmentHeaderBytes)
        }
        layoutOffset = segmentOffset
        thread = Self.start(self) { $0.run() }
        spareThread = Self.start(self) { $0.runSpare() }
    }

    private static func start(_ writer: LogWriter, _ body: @escaping (LogWriter) -> Void) -> pthread_t {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        var handle = pthread_t()
        let box = Unmanaged.passRetained(ThreadStart(writer: writer, body: body))
        let created = pthread_create(&handle, &attributes, { argument in
            let start = Unmanaged<ThreadStart>.fromOpaque(argument!).takeRetainedValue()
            start.body(start.writer)
            return nil
        }, box.toOpaque())
        precondition(created == 0, "cannot start a log thread")
        return handle
    }

    private final class ThreadStart {
        let writer: LogWriter
        let body: (LogWriter) -> Void
        init(writer: LogWriter, body: @escaping (LogWriter) -> Void) {
            self.writer = writer
            self.body = body
        }
    }

    private static func createSegment(storage: any Storage, configuration: Configuration, firstLSN: UInt64) throws(StorageError) -> any StorageFile {
        let file = try storage.open(configuration.directory + "/" + LogFormat.segmentName(firstLSN: firstLSN), create: true)
        try file.allocate(size: configuration.segmentBytes)
        return file
    }

    public var ioPath: IOPath { storage.ioPath }

    public var statisticsSnapshot: Statistics { lock.withLock { statistics } }

    public var durable: UInt64 { lock.withLock { durableLSN } }

    /// Room reserved by admissions whose records are not appended yet (record bytes, by their
    /// bounds): 0 whenever every admitted record is appended.
    public var reservedRecordBytes: UInt64 { lock.withLock { reservedBytes } }

    /// Whether a batch whose record may take up to `bytes` can be logged. When this says no (the
    /// disk is full, or the log has failed or is closing), the caller refuses the batch's writes
    /// with STORAGE_FULL instead of running them. While the next segment is still being
    /// preallocated (just after start, or just after a roll), this waits for it: room that is
    /// merely not prepared yet is not a full disk.
    ///
    /// A yes reserves the room until `append(_:reservedBytes:)` releases it, so that records
    /// admitted before this one and appended after it (in admission order) cannot take it.
    /// Every admission must be followed by exactly one such append.
    public func admit(bytes: Int) async -> Bool {
        let size = UInt64(LogFormat.recordBytes(payloadBytes: bytes))
        while true {
            let answer = lock.withLock {
                let answer = admission(size)
                if case .yes = answer { reservedBytes += size }
                return answer
            }
            switch answer {
            case .yes: return true
            case .no: return false
            case .later:
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    lock.withLock {
                        if case .later = admission(size) { roomWaiters.append(continuation) } else { continuation.resume() }
                    }
                }
            }
        }
    }

    private enum Admission { case yes, no, later }

    /// Lock held. The records reserved before this one are placed as one block with it: if the
    /// block fits the current segment, or an empty spare, so does each record (each lands in
    /// one of the two, and takes no more than its bound).
    private func admission(_ size: UInt64) -> Admission {
        if stopping { return .no }
        if placement(reservedBytes + size) != nil { return .yes }
        // No room without a new spare: wait for the spare thread to prepare one, unless the last
        // try found the disk full. That thread prepares a spare whenever there is none. While
        // reserved records are still to come, the block overstates what they take: wait for
        // them before calling the disk full.
        return diskFull && reservedBytes == 0 ? .no : .later
    }

    /// Whether the log takes no more records: it is closing, or failed, or is to fail. Lock held.
    private var stopping: Bool { closing || failure != nil || abandonReason != nil }

    /// Wakes admissions waiting for a spare. Lock held.
    private func releaseRoomWaiters() {
        for waiter in roomWaiters { waiter.resume() }
        roomWaiters.removeAll()
    }

    /// Where a record of `size` bytes would go: the current segment, or the spare. Lock held.
    private func placement(_ size: UInt64) -> (offset: UInt64, rolls: Bool)? {
        if layoutOffset + size <= configuration.segmentBytes { return (layoutOffset + size, false) }
        if layoutSpare, UInt64(LogFormat.segmentHeaderBytes) + size <= configuration.segmentBytes {
            return (UInt64(LogFormat.segmentHeaderBytes) + size, true)
        }
        return nil
    }

    /// Queues a record and returns its LSN. Call in batch order; wait with `waitDurable`.
    /// `reservedBytes`: the bound this record's admission reserved (`admit(bytes:)`), released
    /// now; nil for a record appended without admission (tools and benchmarks).
    public func append(_ payload: [UInt8], reservedBytes bound: Int? = nil) throws(WALError) -> UInt64 {
        let size = UInt64(LogFormat.recordBytes(payloadBytes: payload.count))
        return try lock.withLock { () throws(WALError) -> UInt64 in
            if let bound {
                let reserved = UInt64(LogFormat.recordBytes(payloadBytes: bound))
                precondition(reserved <= reservedBytes, "a reservation of \(reserved) bytes released with only \(reservedBytes) reserved")
                assert(size <= reserved, "a record of \(size) bytes beyond its bound of \(reserved)")
                reservedBytes -= reserved
                // Admissions that waited for reserved records may now fit, or learn the disk is full.
                if !roomWaiters.isEmpty { releaseRoomWaiters() }
            }
            if let failure { throw failure }
            if let abandonReason { throw WALError.failed(abandonReason) }
            if closing { throw WALError.closed }
            guard let (offset, rolls) = placement(size) else { throw WALError.storageFull }
            layoutOffset = offset
            if rolls { layoutSpare = false }
            let lsn = nextLSN
            nextLSN += 1
            LogFormat.appendRecord(lsn: lsn, payload: payload, to: &pending)
            pendingLast = lsn
            wake.signal()
            return lsn
        }
    }

    /// Returns once the record with this LSN is durable (or written, under `FsyncMode.never`).
    public func waitDurable(_ lsn: UInt64) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            lock.withLock {
                if let failure {
                    continuation.resume(throwing: failure)
                } else if lsn <= durableLSN {
                    continuation.resume()
                } else {
                    waiters.append((lsn, continuation))
                }
            }
        }
    }

    /// Told that a record is durable (nil), or that the log failed and it never will be.
    public typealias DurabilityCallback = @Sendable (WALError?) -> Void

    /// Calls `callback` on the writer thread once the record with this LSN is durable (or
    /// written, under `FsyncMode.never`): right after the write that makes it so, with no task to
    /// wake in between. Callbacks run in the order they were registered (register in LSN order);
    /// keep them short, since they delay the next write. After a log failure they are told at once.
    public func whenDurable(_ lsn: UInt64, _ callback: @escaping DurabilityCallback) {
        let failed: WALError? = lock.withLock {
            if let failure { return failure }
            precondition(lsn >= (callbacks.last?.lsn ?? 0), "durability callbacks registered out of LSN order")
            callbacks.append((lsn, callback))
            // Already durable: the writer runs it (after any still running), so order holds.
            if lsn <= durableLSN { wake.signal() }
            return nil
        }
        if let failed { callback(failed) }
    }

    /// Writes what is queued, stops the threads and closes the segments.
    public func close() {
        lock.withLock {
            closing = true
            releaseRoomWaiters()
            wake.signal()
            spareWake.signal()
        }
        if let thread { pthread_join(thread, nil) }
        thread = nil
        if let spareThread { pthread_join(spareThread, nil) }
        spareThread = nil
        lock.withLock {
            spare?.file.close()
            spare = nil
        }
    }

    // MARK: The writer thread

    private func run() {
        // Named so that an operator can tell it apart in top -H, perf or /proc.
        _ = libra_thread_set_name("libra-log")
        while true {
            lock.lock()
            while pending.isEmpty && !stopping && (callbacks.first.map { $0.lsn > durableLSN } ?? true) {
                wake.wait(lock)
            }
            if failure == nil, let reason = abandonReason {
                lock.unlock()
                fail(reason)
                continue
            }
            if failure != nil || (closing && pending.isEmpty) {
                let ready = readyCallbacks()
                lock.unlock()
                for callback in ready { callback(nil) }
                break
            }
            var batch: [UInt8] = []
            swap(&batch, &pending)
            let last = pendingLast
            // Callbacks registered after their record became durable.
            let ready = readyCallbacks()
            lock.unlock()
            for callback in ready { callback(nil) }

            if !batch.isEmpty { write(batch, through: last) }
        }
        segment.close()
    }

    /// Writes records (whole, in LSN order), rolling to the spare segment where they do not fit.
    private func write(_ bytes: [UInt8], through last: UInt64) {
        do throws(StorageError) {
            let sync = configuration.fsync == .always
            let began = monotonicSeconds()
            var start = 0
            var writes = 0
            while start < bytes.count {
                // Fit as many whole records as the current segment holds.
                var end = start
                while end < bytes.count {
                    let length = Int(UInt32(bytes[end]) | UInt32(bytes[end + 1]) << 8 | UInt32(bytes[end + 2]) << 16 | UInt32(bytes[end + 3]) << 24)
                    let size = LogFormat.recordBytes(payloadBytes: length)
                    if segmentOffset + UInt64(end - start + size) > configuration.segmentBytes { break }
                    end += size
                }
                let rolls = end < bytes.count
                if end > start {
                    // The records that finish a segment are durable before the next segment's
                    // header names the LSN after them: a crash in between must not leave the log
                    // with a gap between segments (recovery refuses one as records missing).
                    // Only the last write's sync is the group commit's own.
                    try segment.write(Array(bytes[start..<end]), at: segmentOffset, sync: sync || rolls)
                    writes += 1
                    segmentOffset += UInt64(end - start)
                    start = end
                }
                if rolls { try roll(firstLSN: lsn(at: start, in: bytes)).close() }
            }
            let elapsed = monotonicSeconds() - began
            let records = lock.withLock { last - durableLSN }
            configuration.observer?(WriteObservation(records: records, bytes: bytes.count, seconds: elapsed, synced: sync))
            let ready = lock.withLock {
                statistics.records += last - durableLSN
                statistics.writes += UInt64(writes)
                statistics.bytes += UInt64(bytes.count)
                if sync {
                    statistics.syncs += UInt64(writes)
                    statistics.syncSecondsTotal += elapsed
                }
                durableLSN = last
                // Under the lock, so that no reader of `durable` is ahead of the feed.
                configuration.onDurable?(last)
                release()
                return readyCallbacks()
            }
            // Outside the lock: appends go on meanwhile.
            for callback in ready { callback(nil) }
        } catch {
            fail(error.description)
        }
    }

    private func lsn(at offset: Int, in bytes: [UInt8]) -> UInt64 {
        var reader = ByteReader(bytes, offset: offset + 8)
        return (try? reader.read(UInt64.self)) ?? 0
    }

    /// Continues in the spare, which becomes the first segment of `firstLSN` (its name says so),
    /// and returns the segment it replaces (written to the end already), for the caller to close.
    private func roll(firstLSN: UInt64) throws(StorageError) -> any StorageFile {
        // Admission places records in a spare only once it is prepared.
        guard let spare = lock.withLock({ spare }) else { throw StorageError.noSpace(path: configuration.directory) }
        let path = configuration.directory + "/" + LogFormat.segmentName(firstLSN: firstLSN)
        try storage.rename(spare.path, to: path)
        try spare.file.write(LogFormat.segmentHeader(firstLSN: firstLSN), at: 0, sync: true)
        try storage.syncDirectory(configuration.directory)
        let previous = segment
        segment = spare.file
        segmentOffset = UInt64(LogFormat.segmentHeaderBytes)
        // Only now, with the spare's path free again, may the spare thread prepare the next one.
        lock.withLock {
            self.spare = nil
            spareWake.signal()
        }
        return previous
    }

    // MARK: The spare thread

    /// Keeps a spare segment prepared: whenever there is none, prepares one; after a full disk,
    /// tries again every 0.2 s.
    private func runSpare() {
        _ = libra_thread_set_name("libra-log-spare")
        while true {
            lock.lock()
            while !stopping && (spare != nil || monotonicSeconds() < nextSpareAttempt) {
                if spare != nil { spareWake.wait(lock) } else { spareWake.wait(lock, untilMonotonic: nextSpareAttempt) }
            }
            let stop = stopping
            lock.unlock()
            if stop { return }
            prepareSpare()
        }
    }

    /// Preallocates the next segment, so that a full disk is found before it matters. On
    /// failure, admission stops at the current segment's remaining space and this retries.
    private func prepareSpare() {
        let path = configuration.directory + "/spare.wal.tmp"
        do throws(StorageError) {
            let file = try storage.open(path, create: true)
            // A spare not filled to the end (an error, or the log stopping) is not kept.
            var filled = false
            defer {
                if !filled {
                    file.close()
                    try? storage.remove(path)
                }
            }
            // Whatever a file of this name holds (left by a failed attempt) is not zeros to build
            // on: the filling starts from the file's end.
            try file.truncate(to: 0)
            // Stopping stops the filling: shutting down need not wait for a segment of zeros.
            filled = try file.allocate(size: configuration.segmentBytes) { [self] in lock.withLock { !stopping } }
            guard filled else { return }
            lock.withLock {
                spare = (file, path)
                layoutSpare = true
                diskFull = false
                releaseRoomWaiters()
            }
        } catch .noSpace {
            // Try again shortly; appends beyond the current segment are refused meanwhile.
            lock.withLock {
                nextSpareAttempt = monotonicSeconds() + 0.2
                diskFull = true
                releaseRoomWaiters()
            }
        } catch {
            // The writer thread fails the log, so that durability callbacks run there alone.
            abandon("cannot prepare the next log segment: \(error.description)")
        }
    }

    /// Fails the log (fail-stop) from outside the writer thread: a record promised a place in
    /// the log could not be appended. The writer thread fails it, so that durability callbacks
    /// still run on that thread only, in order. Appends and admissions are refused from now on.
    func abandon(_ reason: String) {
        lock.withLock {
            if abandonReason == nil { abandonReason = reason }
            releaseRoomWaiters()
            wake.signal()
        }
    }

    private func fail(_ reason: String) {
        let (stranded, error) = lock.withLock { () -> ([DurabilityCallback], WALError) in
            // A log that failed already keeps its first reason, the one an operator must see.
            let error = failure ?? .failed(reason)
            failure = error
            spareWake.signal()
            for waiter in waiters { waiter.continuation.resume(throwing: error) }
            waiters.removeAll()
            releaseRoomWaiters()
            defer { callbacks.removeAll() }
            return (callbacks.map(\.callback), error)
        }
        for callback in stranded { callback(error) }
    }

    /// Takes the callbacks whose LSN is durable now, in order. Called with the lock held.
    private func readyCallbacks() -> [DurabilityCallback] {
        guard let first = callbacks.first, first.lsn <= durableLSN else { return [] }
        // Registered in LSN order (batches append in order), so the ready ones lead.
        let count = callbacks.prefix { $0.lsn <= durableLSN }.count
        defer { callbacks.removeFirst(count) }
        return callbacks.prefix(count).map(\.callback)
    }

    /// Releases waiters up to the durable LSN. Called with the lock held.
    private func release() {
        guard !waiters.isEmpty else { return }
        var kept: [(lsn: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
        for waiter in waiters {
            if waiter.lsn <= durableLSN { waiter.continuation.resume() } else { kept.append(waiter) }
        }
        waiters = kept
    }
}
