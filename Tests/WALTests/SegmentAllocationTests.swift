import CURing
import Testing
import WAL

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SegmentAllocationTests {
    /// Allocation writes zeros from the end of the file, keeps what is below it, and leaves no
    /// space merely reserved: an fdatasync after a log write into reserved space would have to
    /// journal the extent's conversion as well (the log's group commits were about 40 % slower
    /// on ext4 that way).
    @Test(arguments: [IOPath.posix, IOPath.uring])
    func allocationZeroFillsFromTheEnd(path ioPath: IOPath) throws {
        if ioPath == .uring, !FileSystemStorage.uringAvailable() { return }
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let storage = FileSystemStorage(ioPath: ioPath)
        let path = directory + "/segment"
        let file = try storage.open(path, create: true)
        let head = (0..<5_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try file.write(head, at: 0, sync: true)
        // More than one zero-fill chunk, and not a multiple of it.
        let size: UInt64 = (3 << 20) + 123
        try file.allocate(size: size)
        #expect(try file.size() == size)
        #expect(try file.read(at: 0, count: head.count) == head)
        #expect(try file.read(at: UInt64(head.count), count: Int(size) - head.count).allSatisfy { $0 == 0 })
        // Asking for less changes nothing.
        try file.allocate(size: 1 << 20)
        #expect(try file.size() == size)
        file.close()

        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let unwritten = libra_file_unwritten_bytes(descriptor)
        // A file system without FIEMAP (tmpfs) cannot say; ext4 and XFS can.
        if unwritten >= 0 { #expect(unwritten == 0) }
    }

    /// The check above can fail: space reserved with fallocate alone shows as unwritten.
    @Test func reservedSpaceShowsAsUnwritten() throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let path = directory + "/reserved"
        let descriptor = open(path, O_RDWR | O_CREAT, 0o644)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        #expect(posix_fallocate(descriptor, 0, 1 << 20) == 0)
        let unwritten = libra_file_unwritten_bytes(descriptor)
        if unwritten >= 0 { #expect(unwritten == 1 << 20) }
    }
}
