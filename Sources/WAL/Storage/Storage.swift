/// Where the log and snapshots live. The log talks to this protocol only, so tests can put a
/// simulated disk (torn writes, bit flips, full disk, crashes) where the real one would be.
public protocol Storage: Sendable {
    /// Which write path this storage uses, for logs, /health and metrics.
    var ioPath: IOPath { get }
    func createDirectory(_ path: String) throws(StorageError)
    /// File names (not paths) in a directory.
    func list(_ directory: String) throws(StorageError) -> [String]
    func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile
    func remove(_ path: String) throws(StorageError)
    /// Atomically replaces `target` with `source`.
    func rename(_ source: String, to target: String) throws(StorageError)
    /// Makes a directory's entries (creations, renames, removals) durable.
    func syncDirectory(_ path: String) throws(StorageError)
    /// Opens (creating it if needed) a file that is written once, front to back, in large blocks
    /// (`StorageFile.writeAligned`): a snapshot. Where the file system allows, its writes bypass
    /// the page cache (O_DIRECT), which would otherwise take a copy of hundreds of megabytes the
    /// server never reads back while it runs.
    func openForStreaming(_ path: String) throws(StorageError) -> any StorageFile
}

extension Storage {
    public func openForStreaming(_ path: String) throws(StorageError) -> any StorageFile {
        try open(path, create: true)
    }
}

/// Alignment of `StorageFile.writeAligned`'s buffer address, length and offset.
public let storageBlockBytes = 4096

public protocol StorageFile: AnyObject, Sendable {
    var path: String { get }
    func size() throws(StorageError) -> UInt64
    /// Reads up to `count` bytes at `offset`; fewer only at the end of the file.
    func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8]
    /// The same into `buffer`, reusing its storage when it already holds `count` bytes and is
    /// not shared: reading many segments of one size then touches no fresh memory.
    func read(at offset: UInt64, count: Int, into buffer: inout [UInt8]) throws(StorageError)
    /// Writes all bytes at `offset`, then, if `sync`, makes the file's data durable.
    func write(_ bytes: [UInt8], at offset: UInt64, sync: Bool) throws(StorageError)
    func sync() throws(StorageError)
    /// Reserves space up to `size` bytes so that writes below it cannot fail for lack of space,
    /// and fills what lies beyond the current end with written zeros, so that making a later
    /// write below `size` durable flushes data only, with no file-system metadata to commit.
    /// Takes time in proportion to the bytes added (the log calls it off its writer thread).
    /// `proceed` is asked between steps of the filling; once it says no, this stops and returns
    /// false, the file reserved but only partly filled. True once all of it is filled.
    func allocate(size: UInt64, proceed: () -> Bool) throws(StorageError) -> Bool
    func truncate(to size: UInt64) throws(StorageError)
    /// Writes `buffer` at `offset` without syncing; its address, length and `offset` are
    /// multiples of `storageBlockBytes` (a file from `Storage.openForStreaming` may need it).
    func writeAligned(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(StorageError)
    func close()
}

extension StorageFile {
    /// Reserves and zero-fills up to `size`, to the end (see `allocate(size:proceed:)`).
    public func allocate(size: UInt64) throws(StorageError) {
        _ = try allocate(size: size) { true }
    }

    public func read(at offset: UInt64, count: Int, into buffer: inout [UInt8]) throws(StorageError) {
        buffer = try read(at: offset, count: count)
    }

    public func writeAligned(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(StorageError) {
        try write(Array(buffer), at: offset, sync: false)
    }
}

public enum IOPath: String, Sendable {
    case uring
    case posix
    case simulated
}

public enum StorageError: Error, Equatable, CustomStringConvertible {
    /// ENOSPC or EDQUOT: not a crash; writes resume when space returns.
    case noSpace(path: String)
    /// Any other failure of the device (EIO and the like): fatal for the log.
    case io(path: String, errno: Int32, operation: String)
    case notFound(path: String)

    public var description: String {
        switch self {
        case .noSpace(let path): "no space left on the device holding \(path)"
        case .io(let path, let errno, let operation): "\(operation) failed on \(path): \(errnoDescription(errno)) (errno \(errno))"
        case .notFound(let path): "\(path) does not exist"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func errnoDescription(_ code: Int32) -> String { String(cString: strerror(code)) }
