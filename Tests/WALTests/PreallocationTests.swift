import CURing
import Dispatch
import Testing
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// Segments are preallocated with written zeros, not merely reserved: a reserved ("unwritten")
/// block costs a file-system journal commit on the fdatasync after its first write, on every
/// group commit. FIEMAP tells the two apart on file systems that track unwritten extents (ext4,
/// XFS, Btrfs); elsewhere these tests check the contents only.
@Suite struct PreallocationTests {
    /// Unwritten bytes of the file at `path`, or nil where the file system cannot tell.
    static func unwrittenBytes(_ path: String) -> UInt64? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: UInt64 = 0
        return libra_unwritten_bytes(fd, &bytes) == 0 ? bytes : nil
    }

    /// Whether this file system reports reserved blocks as unwritten: a file reserved with
    /// posix_fallocate alone must show some, or the checks below could not fail here.
    static func tracksUnwrittenExtents(in directory: String) -> Bool {
        let path = directory + "/control"
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        guard posix_fallocate(fd, 0, 1 << 20) == 0 else { return false }
        var bytes: UInt64 = 0
        return libra_unwritten_bytes(fd, &bytes) == 0 && bytes > 0
    }

    /// Runs `body` on a new file of the real file system, then checks that the file has no
    /// unwritten blocks, where the file system can tell.
    static func onFreshFile(_ body: (any StorageFile) throws -> Void) throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let path = directory + "/segment"
        let file = try FileSystemStorage(ioPath: .posix).open(path, create: true)
        defer { file.close() }
        try body(file)
        if tracksUnwrittenExtents(in: directory) {
            #expect(unwrittenBytes(path) == 0)
        }
    }

    @Test func allocateLeavesNoUnwrittenBlocks() throws {
        try Self.onFreshFile { file in
            let size: UInt64 = 9 << 20 + 4096
            try file.allocate(size: size)
            #expect(try file.size() == size)
            let contents = try file.read(at: 0, count: Int(size))
            #expect(contents.count == Int(size))
            #expect(contents.allSatisfy { $0 == 0 })
        }
    }

    /// Recovery cuts a torn tail and allocates the segment again: what was written below the cut
    /// stays, and the rest is written zeros again. A cut on a block boundary is refilled past the
    /// page cache, one inside a block through it; the data below the cut is left unsynced in the
    /// cache in one case, synced in the other.
    @Test(arguments: [(UInt64(50_001), true), (UInt64(65_536), true), (UInt64(65_536), false)])
    func allocateAfterTruncateKeepsTheDataAndZeroFillsTheRest(cut: UInt64, synced: Bool) throws {
        try Self.onFreshFile { file in
            let size: UInt64 = 2 << 20
            try file.allocate(size: size)
            let data = [UInt8](repeating: 0xA5, count: 70_000)
            try file.write(data, at: 0, sync: synced)
            try file.truncate(to: cut)
            try file.allocate(size: size)
            #expect(try file.size() == size)
            let contents = try file.read(at: 0, count: Int(size))
            #expect(contents[..<Int(cut)].allSatisfy { $0 == 0xA5 })
            #expect(contents[Int(cut)...].allSatisfy { $0 == 0 })
        }
    }

    /// The log's own segments, the first and the spares its spare thread prepares.
    @Test func logSegmentsAreWrittenZeros() async throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let storage = FileSystemStorage(ioPath: .posix)
        let segmentBytes: UInt64 = 1 << 20
        let writer = try LogWriter(
            storage: storage, configuration: LogWriter.Configuration(directory: directory, segmentBytes: segmentBytes),
            position: LogPosition(segment: nil, offset: 0, nextLSN: 1))
        // Enough records to roll into the spare and have the next spare prepared.
        let payload = [UInt8](repeating: 7, count: 100_000)
        var last: UInt64 = 0
        for _ in 0..<15 {
            #expect(await writer.admit(bytes: payload.count))
            last = try writer.append(payload, reservedBytes: payload.count)
        }
        // Room for this one only in a new spare: admission waits until it is prepared.
        let large = 700_000
        #expect(await writer.admit(bytes: large))
        last = try writer.append([1, 2, 3], reservedBytes: large)
        try await writer.waitDurable(last)
        writer.close()
        let names = try storage.list(directory).sorted()
        #expect(names.filter { $0.hasSuffix(".wal") }.count == 2, "segments: \(names)")
        #expect(names.contains("spare.wal.tmp"), "no spare prepared: \(names)")
        guard Self.tracksUnwrittenExtents(in: directory) else { return }
        for name in names where name.hasSuffix(".wal") || name == "spare.wal.tmp" {
            #expect(Self.unwrittenBytes(directory + "/" + name) == 0, "\(name) has unwritten blocks")
        }
    }

    /// Shutting down while the spare is being filled stops the filling: `close` does not wait
    /// for a segment of zeros, and no half-filled spare is left behind. (The simulated disk's
    /// filling of this spare never ends by itself: without the stop, `close` would not return.)
    @Test func closingStopsASpareBeingFilled() async throws {
        let storage = SimulatedStorage()
        storage.stallAllocationsOfPathsContaining = "spare"
        try storage.createDirectory("/data")
        let writer = try LogWriter(
            storage: storage, configuration: LogWriter.Configuration(directory: "/data", segmentBytes: 64 << 10),
            position: LogPosition(segment: nil, offset: 0, nextLSN: 1))
        // The log commits meanwhile, in its current segment.
        #expect(await writer.admit(bytes: 100))
        try await writer.waitDurable(try writer.append([UInt8](repeating: 1, count: 100), reservedBytes: 100))
        let closed = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            writer.close()
            closed.signal()
        }
        // On another thread, so that a close that waits forever fails this test instead of hanging it.
        guard closed.wait(timeout: .now() + 30) == .success else {
            Issue.record("close() still waits for the spare's filling after 30 s")
            return
        }
        let names = try storage.list("/data")
        #expect(!names.contains("spare.wal.tmp"), "files: \(names)")
        #expect(names.filter { $0.hasSuffix(".wal") }.count == 1)
    }
}
