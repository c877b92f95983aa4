import CURing

#if canImport(Glibc)
import Glibc
#endif

/// The real file system. Writes that must be durable go through io_uring (write with a linked
/// fdatasync) when `ioPath` is `.uring`, or pwrite + fdatasync when it is `.posix`.
public final class FileSystemStorage: Storage, @unchecked Sendable {
    public let ioPath: IOPath

    /// How the log writes and syncs, as `--io` names it. POSIX is the default: the log's files are
    /// buffered, and io_uring runs a buffered file's fdatasync on a kernel worker thread, one more
    /// thread hop per group commit than the writer thread calling fdatasync itself
    /// (docs/benchmarks.md, *The log's sync path*).
    public enum Choice: String, Sendable, CaseIterable {
        /// io_uring when the kernel allows it, else pwrite + fdatasync with one warning.
        case automatic = "auto"
        /// write linked to fdatasync through io_uring; refused where io_uring cannot be set up.
        case uring
        /// pwrite + fdatasync on the log's writer thread.
        case posix

        /// The names, the default first, for messages: "posix, uring or auto".
        public static var names: String {
            let names = [posix, uring, automatic].map(\.rawValue)
            return names.dropLast().joined(separator: ", ") + " or " + names.last!
        }
    }

    /// `--io uring` where the kernel refuses io_uring.
    public struct UringUnavailable: Error, CustomStringConvertible {
        public var description: String { "--io uring: io_uring cannot be set up here; use --io posix or --io auto" }
    }

    /// The file system with the log I/O path `choice`; `warning` receives the one message
    /// explaining a fallback of `.automatic`.
    public static func choosing(_ choice: Choice, warning: (String) -> Void) throws(UringUnavailable) -> FileSystemStorage {
        switch choice {
        case .automatic: return automatic(warning: warning)
        case .uring:
            guard uringAvailable() else { throw UringUnavailable() }
            return FileSystemStorage(ioPath: .uring)
        case .posix: return FileSystemStorage(ioPath: .posix)
        }
    }

    /// Chooses io_uring when the kernel allows it, else POSIX. `warning` receives the one message
    /// explaining a fallback.
    public static func automatic(warning: (String) -> Void) -> FileSystemStorage {
        var ring: OpaquePointer?
        let result = libra_ring_create(4, &ring)
        if result == 0 {
            libra_ring_destroy(ring)
            return FileSystemStorage(ioPath: .uring)
        }
        warning("io_uring is unavailable (\(errnoDescription(-result))); the log falls back to pwrite + fdatasync")
        return FileSystemStorage(ioPath: .posix)
    }

    /// Forces a path. `.uring` fails where the kernel refuses io_uring.
    public init(ioPath: IOPath) {
        precondition(ioPath != .simulated, "the file system has no simulated path")
        self.ioPath = ioPath
    }

    public static func uringAvailable() -> Bool {
        var ring: OpaquePointer?
        guard libra_ring_create(4, &ring) == 0 else { return false }
        libra_ring_destroy(ring)
        return true
    }

    public func createDirectory(_ path: String) throws(StorageError) {
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw failure(path, "mkdir") }
    }

    public func list(_ directory: String) throws(StorageError) -> [String] {
        guard let stream = opendir(directory) else { throw errno == ENOENT ? .notFound(path: directory) : failure(directory, "opendir") }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// O_DIRECT where the file system takes it (ext4, XFS); a plain file elsewhere (tmpfs).
    public func openForStreaming(_ path: String) throws(StorageError) -> any StorageFile {
        let fd = libra_open_direct(path)
        if fd >= 0 { return FileHandle(path: path, fd: fd, ring: nil) }
        guard errno == EINVAL else { throw errno == ENOENT ? .notFound(path: path) : failure(path, "open") }
        return try open(path, create: true)
    }

    public func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = Glibc.open(path, flags, 0o644)
        guard fd >= 0 else { throw errno == ENOENT ? .notFound(path: path) : failure(path, "open") }
        if ioPath == .uring {
            var ring: OpaquePointer?
            let result = libra_ring_create(8, &ring)
            guard result == 0 else {
                Glibc.close(fd)
                throw StorageError.io(path: path, errno: -result, operation: "io_uring setup")
            }
            return FileHandle(path: path, fd: fd, ring: ring)
        }
        return FileHandle(path: path, fd: fd, ring: nil)
    }

    public func remove(_ path: String) throws(StorageError) {
        if unlink(path) != 0 && errno != ENOENT { throw failure(path, "unlink") }
    }

    public func rename(_ source: String, to target: String) throws(StorageError) {
        if Glibc.rename(source, target) != 0 { throw failure(source, "rename") }
    }

    public func syncDirectory(_ path: String) throws(StorageError) {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(path, "open directory") }
        defer { Glibc.close(fd) }
        if fsync(fd) != 0 { throw failure(path, "fsync directory") }
    }
}

func failure(_ path: String, _ operation: String, _ code: Int32 = errno) -> StorageError {
    code == ENOSPC || code == EDQUOT ? .noSpace(path: path) : .io(path: path, errno: code, operation: operation)
}

/// An open file. One writer at a time (the log's writer thread); reads may come from recovery
/// before the writer starts.
final class FileHandle: StorageFile, @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let ring: OpaquePointer?

    init(path: String, fd: Int32, ring: OpaquePointer?) {
        self.path = path
        self.fd = fd
        self.ring = ring
    }

    deinit { close() }

    private var closed = false

    func close() {
        guard !closed else { return }
        closed = true
        if let ring { libra_ring_destroy(ring) }
        Glibc.close(fd)
    }

    func size() throws(StorageError) -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(path, "fstat") }
        return UInt64(info.st_size)
    }

    func read(at offset: UInt64, count: Int) throws(StorageError) -> [UInt8] {
        // Read straight into uninitialized capacity: recovery reads gigabytes, and zero-filling a
        // buffer that pread then overwrites would touch every byte twice.
        var readError: Int32?
        let buffer = [UInt8](unsafeUninitializedCapacity: count) { storage, initialized in
            (initialized, readError) = readFully(into: UnsafeMutableRawPointer(storage.baseAddress!), count: count, at: offset)
        }
        if let readError { throw failure(path, "pread", readError) }
        return buffer
    }

    func read(at offset: UInt64, count: Int, into buffer: inout [UInt8]) throws(StorageError) {
        guard buffer.count == count else {
            buffer = try read(at: offset, count: count)
            return
        }
        let (done, readError) = buffer.withUnsafeMutableBytes { readFully(into: $0.baseAddress!, count: count, at: offset) }
        if let readError { throw failure(path, "pread", readError) }
        if done < count { buffer.removeLast(count - done) }
    }

    /// Reads until `count` bytes are in or the file ends; the bytes read, and errno if a read failed.
    private func readFully(into start: UnsafeMutableRawPointer, count: Int, at offset: UInt64) -> (done: Int, error: Int32?) {
        var done = 0
        while done < count {
            let result = pread(fd, start + done, count - done, off_t(offset) + off_t(done))
            if result < 0 {
                if errno == EINTR { continue }
                return (done, errno)
            }
            if result == 0 { break }
            done += result
        }
        return (done, nil)
    }

    func write(_ bytes: [UInt8], at offset: UInt64, sync: Bool) throws(StorageError) {
        guard let ring else {
            if let error = bytes.withUnsafeBytes({ pwriteFully($0, at: offset, operation: "pwrite") }) { throw error }
            if sync { try self.sync() }
            return
        }
        var done = 0
        while done < bytes.count {
            let result = bytes.withUnsafeBytes { libra_ring_write(ring, fd, $0.baseAddress! + done, UInt32(bytes.count - done), offset + UInt64(done), sync ? 1 : 0) }
            if result < 0 { throw failure(path, sync ? "io_uring write + fdatasync" : "io_uring write", Int32(-result)) }
            let written = Int(result)
            if written == bytes.count - done { return }
            if written == 0 { throw StorageError.io(path: path, errno: EIO, operation: "write made no progress") }
            done += written
        }
        if sync { try self.sync() }
    }

    func writeAligned(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(StorageError) {
        precondition(Int(bitPattern: buffer.baseAddress) % storageBlockBytes == 0 && buffer.count % storageBlockBytes == 0 && offset % UInt64(storageBlockBytes) == 0, "an unaligned block write")
        if let error = pwriteFully(buffer, at: offset, operation: "pwrite") {
            // A device whose blocks are larger than these refuses them past the page cache
            // (EINVAL): go on through it.
            guard case .io(_, EINVAL, _) = error, libra_clear_direct(fd) == 0 else { throw error }
            if let error = pwriteFully(buffer, at: offset, operation: "pwrite") { throw error }
        }
    }

    /// pwrite until every byte of `buffer` is written at `offset` (short writes and EINTR
    /// continue); the error if one stopped it, `operation` naming the call.
    private func pwriteFully(_ buffer: UnsafeRawBufferPointer, at offset: UInt64, operation: String) -> StorageError? {
        var done = 0
        while done < buffer.count {
            let written = pwrite(fd, buffer.baseAddress! + done, buffer.count - done, off_t(offset) + off_t(done))
            if written < 0 {
                if errno == EINTR { continue }
                return failure(path, operation)
            }
            if written == 0 { return StorageError.io(path: path, errno: EIO, operation: "write made no progress") }
            done += written
        }
        return nil
    }

    func sync() throws(StorageError) {
        if let ring {
            let result = libra_ring_datasync(ring, fd)
            if result < 0 { throw failure(path, "io_uring fdatasync", -result) }
        } else if fdatasync(fd) != 0 {
            throw failure(path, "fdatasync")
        }
    }

    func allocate(size: UInt64, proceed: () -> Bool) throws(StorageError) -> Bool {
        let start = try self.size()
        // Reserve first: a full disk shows at once, before anything is written.
        let result = posix_fallocate(fd, 0, off_t(size))
        if result != 0 { throw failure(path, "fallocate", result) }
        guard size > start else { return true }
        // Then write the zeros. A reserved block is "unwritten" until its first write, and
        // making that write durable also writes file-system metadata (ext4, XFS); a log that
        // appends into such blocks pays it on every group commit. Written zeros leave each
        // commit's fdatasync a data flush alone. Synced every few MiB, so that a commit's flush
        // never waits behind a whole segment of zeros.
        //
        // Past the page cache where the file system allows it (a second descriptor opened with
        // O_DIRECT, whole aligned blocks): copying a segment of zeros into the cache cost the
        // server 0.2 s of CPU per 400 MB of log while bulk loading, on cores it shares with the
        // engine. Anything else (an unaligned start, a refusal) goes through the cache.
        let zeros = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.zeroChunkBytes, alignment: storageBlockBytes)
        defer { zeros.deallocate() }
        zeros.initializeMemory(as: UInt8.self, repeating: 0)
        let directFD = start % UInt64(storageBlockBytes) == 0 && size % UInt64(storageBlockBytes) == 0 ? libra_open_direct(path) : -1
        // Its `writeAligned` goes on through the cache where the device refuses the blocks.
        let direct = directFD >= 0 ? FileHandle(path: path, fd: directFD, ring: nil) : nil
        defer { direct?.close() }
        var offset = start
        var unsynced: UInt64 = 0
        while offset < size {
            guard proceed() else { return false }
            let count = Int(min(UInt64(zeros.count), size - offset))
            let chunk = UnsafeRawBufferPointer(rebasing: zeros[..<count])
            if let direct {
                try direct.writeAligned(chunk, at: offset)
            } else if let error = pwriteFully(chunk, at: offset, operation: "pwrite (zero fill)") {
                throw error
            }
            offset += UInt64(count)
            unsynced += UInt64(count)
            if unsynced >= Self.zeroSyncBytes || offset == size {
                if fdatasync(direct?.fd ?? fd) != 0 { throw failure(path, "fdatasync (zero fill)") }
                unsynced = 0
            }
        }
        return true
    }

    private static let zeroChunkBytes = 1 << 20
    private static let zeroSyncBytes: UInt64 = 4 << 20

    func truncate(to size: UInt64) throws(StorageError) {
        if ftruncate(fd, off_t(size)) != 0 { throw failure(path, "ftruncate") }
    }
}
