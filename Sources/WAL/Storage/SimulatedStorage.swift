import Engine

#if canImport(Glibc)
import Glibc
#endif

/// A disk in memory for tests, after the deterministic simulation testing of TigerBeetle and
/// FoundationDB. It tracks what is durable apart from what was merely written: data becomes
/// durable at `sync`, directory entries at `syncDirectory`. `crashImage(seed:)` returns the disk
/// as a power cut would leave it: the durable state plus, per file, a random prefix of the
/// writes since the last sync, the last of which may be torn part-way. Faults are injected on
/// request: a capacity (ENOSPC), an I/O error after a number of writes (EIO). Every random
/// choice comes from the seed, so a failing run replays exactly.
public final class SimulatedStorage: Storage, @unchecked Sendable {
    public var ioPath: IOPath { .simulated }

    final class Node {
        var current: [UInt8] = []
        var durable: [UInt8] = []
        /// Writes since the last sync, in order.
        var unsynced: [(offset: Int, bytes: [UInt8])] = []
        var allocated = 0
    }

    private let lock = RecursiveLock()
    private var entries: [String: Node] = [:]
    private var durableEntries: [String: Node] = [:]
    private var directories: Set<String> = []

    /// Total bytes (sizes and allocations) the disk holds; beyond it, writes fail with ENOSPC.
    public var capacityBytes: Int? {
        get { lock.withLock { capacity } }
        set { lock.withLock { capacity = newValue } }
    }
    private var capacity: Int?
    /// Fail every write and sync from the n-th write on (counting from 1) with EIO.
    public var failWritesAfter: Int? {
        get { lock.withLock { failAfter } }
        set { lock.withLock { failAfter = newValue } }
    }
    private var failAfter: Int?
    private var writes = 0
    private var crashAt: (write: Int, seed: UInt64)?
    /// Split each write into two that reach the disk separately (as a short write and its
    /// continuation would), at a point drawn from this seed, so a crash can fall between them.
    public var shortWrites: UInt64? {
        get { lock.withLock { shortWriteSeed } }
        set { lock.withLock { shortWriteSeed = newValue; shortWriteRandom = newValue.map { SplitMix64(seed: $0) } } }
    }
    private var shortWriteSeed: UInt64?
    private var shortWriteRandom: SplitMix64?
    /// Added to every write, sync and preallocation, to shake out timing assumptions.
    public var latencyMicroseconds: UInt32 = 0
    /// Allocations of files whose path contains this never finish filling: they go on until
    /// their caller says stop (tests of shutting down while a segment is being prepared).
    public var stallAllocationsOfPathsContaining: String? {
        get { lock.withLock { stalledPathPart } }
        set { lock.withLock { stalledPathPart = newValue } }
    }
    private var stalledPathPart: String?

    func stallsAllocation(of path: String) -> Bool {
        lock.withLock { stalledPathPart.map { path.contains($0) } ?? false }
    }
    private var crashed: SimulatedStorage?

    /// Captures the crash image during the given write or sync (counting from 1): the disk as
    /// a power cut in the middle of that operation would leave it. Read it with `crashImage`.
    public func crash(atWrite write: Int, seed: UInt64) {
        lock.withLock { crashAt = (write, seed) }
    }

    /// The image captured by `crash(atWrite:seed:)`, once that write has happened.
    public var capturedCrash: SimulatedStorage? { lock.withLock { crashed } }

    /// Called with the lock held, after a write is placed (unsynced) and before a sync applies.
    fileprivate func captureIfDue() {
        guard let crashAt, crashAt.write == writes, crashed == nil else { return }
        crashed = crashImage(seed: crashAt.seed)
    }

    public init() {}

    private init(entries: [String: Node], directories: Set<String>) {
        self.entries = entries
        self.durableEntries = entries
        self.directories = directories
    }

    public var writeCount: Int { lock.withLock { writes } }

    /// The disk as a crash at this instant leaves it.
    public func crashImage(seed: UInt64) -> SimulatedStorage {
        lock.withLock {
            var random = SplitMix64(seed: seed)
            var survivors: [String: Node] = [:]
            for (path, node) in durableEntries {
                let copy = Node()
                copy.durable = node.durable
                var bytes = node.durable
                let kept = node.unsynced.isEmpty ? 0 : Int(random.next() % UInt64(node.unsynced.count + 1))
                for (index, write) in node.unsynced.enumerated() {
                    if index < kept {
                        Self.place(write.bytes, at: write.offset, in: &bytes)
                    } else if index == kept {
                        // The next write may be torn: some prefix of it reached the platter.
                        let prefix = Int(random.next() % UInt64(write.bytes.count + 1))
                        Self.place(Array(write.bytes[..<prefix]), at: write.offset, in: &bytes)
                        break
                    }
                }
                copy.current = bytes
                copy.durable = bytes
                copy.allocated = max(node.allocated, bytes.count)
                survivors[path] = copy
            }
            return SimulatedStorage(entries: survivors, directories: directories)
        }
    }

    /// Direct access for tests that damage files on purpose.
    public func withContents<T>(of path: String, _ body: (inout [UInt8]) -> T) -> T? {
        lock.withLock {
            guard let node = entries[path] else { return nil }
            let result = body(&node.current)
            node.durable = node.current
            node.unsynced.removeAll()
            return result
        }
    }

    static func place(_ bytes: [UInt8], at offset: Int, in target: inout [UInt8]) {
        if target.count < offset + bytes.count { target.append(contentsOf: repeatElement(0, count: offset + bytes.count - target.count)) }
        target.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }

    private func usedBytes() -> Int { entries.values.reduce(0) { $0 + max($1.current.count, $1.allocated) } }

    /// Where to split a write of `count` bytes, when short writes are on. Lock held.
    fileprivate func shortWriteSplit(_ count: Int) -> Int? {
        guard count > 1, shortWriteRandom != nil else { return nil }
        return Int(shortWriteRandom!.next() % UInt64(count - 1)) + 1
    }

    fileprivate func countWrite(_ path: String) throws(StorageError) {
        if latencyMicroseconds > 0 { usleep(latencyMicroseconds) }
        writes += 1
        if let failAfter, writes >= failAfter { throw .io(path: path, errno: 5, operation: "simulated write") }
    }

    // MARK: Storage

    public func createDirectory(_ path: String) throws(StorageError) {
        lock.withLock { _ = directories.insert(path) }
    }

    public func list(_ directory: String) throws(StorageError) -> [String] {
        try lock.withLock { () throws(StorageError) -> [String] in
            guard directories.contains(directory) else { throw .notFound(path: directory) }
            let prefix = directory + "/"
            return entries.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }.map { String($0.dropFirst(prefix.count)) }.sorted()
        }
    }

    public func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        try lock.withLock { () throws(StorageError) -> any StorageFile in
            if entries[path] == nil {
                guard create else { throw .notFound(path: path) }
                entries[path] = Node()
            }
            // Like a file descriptor, an open file follows its node through renames and removals.
            return SimulatedFile(path: path, node: entries[path]!, storage: self)
        }
    }

    public func remove(_ path: String) throws(StorageError) {
        lock.withLock { _ = entries.removeValue(forKey: path) }
    }

    public func rename(_ source: String, to target: String) throws(StorageError) {
        try lock.withLock { () throws(StorageError) in
            guard let node = entries.removeValue(forKey: source) else { throw .notFound(path: source) }
            entries[target] = node
        }
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        lock.withLock {
            let prefix = path + "/"
            durableEntries = durableEntries.filter { !$0.key.hasPrefix(prefix) }
            for (name, node) in entries where name.hasPrefix(prefix) { durableEntries[name] = node }
        }
    }


    fileprivate func withLock<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try lock.withLock(body)
    }

    fileprivate func roomFor(_ node: Node, size: Int, path: String) throws(StorageError) {
        guard let capacity else { return }
        let growth = max(0, size - max(node.current.count, node.allocated))
        if usedBytes() + growth > capacity { throw .noSpace(path: path) }
    }
}

final class SimulatedFile: StorageFile, @unchecked Sendable {
    let path: String
    private let node: SimulatedStorage.Node
    private let storage: SimulatedStorage
    /// Use after close fails, as a closed file descriptor would (EBADF).
    private var closed = false

    init(path: String, node: SimulatedStorage.Node, storage: SimulatedStorage) {
        self.path = path
        self.node = node
        self.storage = storage
    }

    func size() throws(StorageError) -> UInt64 {
        storage.withLock { UInt64(max(node.current.count, node.allocated)) }
    }

    func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        try storage.withLock { () throws(StorageError) -> [UInt8] in
            try open()
            let size = max(node.current.count, node.allocated)
            let start = min(Int(offset), size)
            let end = min(start + count, size)
            var bytes = [UInt8](repeating: 0, count: end - start)
            let available = min(end, node.current.count)
            if available > start { bytes.replaceSubrange(0..<(available - start), with: node.current[start..<available]) }
            return bytes
        }
    }

    func write(_ bytes: [UInt8], at offset: UInt64, sync: Bool) throws(StorageError) {
        try storage.withLock { () throws(StorageError) in
            try open()
            try storage.countWrite(path)
            try storage.roomFor(node, size: Int(offset) + bytes.count, path: path)
            SimulatedStorage.place(bytes, at: Int(offset), in: &node.current)
            if let split = storage.shortWriteSplit(bytes.count) {
                node.unsynced.append((Int(offset), Array(bytes[..<split])))
                node.unsynced.append((Int(offset) + split, Array(bytes[split...])))
            } else {
                node.unsynced.append((Int(offset), bytes))
            }
            storage.captureIfDue()
            if sync { try syncLocked(node) }
        }
    }

    func sync() throws(StorageError) {
        try storage.withLock { () throws(StorageError) in
            try open()
            try syncLocked(node)
        }
    }

    private func syncLocked(_ node: SimulatedStorage.Node) throws(StorageError) {
        try storage.countWrite(path)
        storage.captureIfDue()
        node.durable = node.current
        node.unsynced.removeAll()
    }

    func allocate(size: UInt64, proceed: () -> Bool) throws(StorageError) -> Bool {
        // Outside the lock, so that other files' writes go on meanwhile, as on a disk.
        if storage.latencyMicroseconds > 0 { usleep(storage.latencyMicroseconds) }
        try storage.withLock { () throws(StorageError) in
            try storage.roomFor(node, size: Int(size), path: path)
            node.allocated = max(node.allocated, Int(size))
        }
        // A stalled allocation fills until it is told to stop.
        while storage.stallsAllocation(of: path) {
            guard proceed() else { return false }
            usleep(1_000)
        }
        return true
    }

    func truncate(to size: UInt64) throws(StorageError) {
        try storage.withLock { () throws(StorageError) in
            if node.current.count > Int(size) { node.current.removeLast(node.current.count - Int(size)) }
            node.allocated = min(node.allocated, Int(size))
            node.durable = node.current
            node.unsynced.removeAll()
        }
    }

    func close() { storage.withLock { closed = true } }

    private func open() throws(StorageError) {
        if closed { throw .io(path: path, errno: 9, operation: "use after close") }
    }
}
