@testable import Server
import Testing
import WAL

/// The heap trimmer hands free heap memory back to the kernel once resident memory exceeds what
/// is in use by more than its reserve, and leaves it alone below that.
@Suite struct HeapTrimmerTests {
    /// Needs glibc 2.33 or later (mallinfo2), as the trimmer does.
    @Test(.enabled(if: Allocator.inUseBytes != nil))
    func freedMemoryInTheMiddleOfTheHeapIsHandedBack() throws {
        // As the server does at start: blocks up to 32 MiB come from the heap, and only a free top
        // beyond 256 MiB is trimmed by glibc itself.
        Allocator.keepFreedMemory()
        let blockBytes = 128 << 10
        let blocks = 2_048
        // 256 MiB of touched blocks, each followed by a small block that stays: freeing the large
        // ones leaves their memory free in the middle of the heap, where glibc never trims it.
        var large: [UnsafeMutableRawPointer] = []
        var small: [UnsafeMutableRawPointer] = []
        for _ in 0..<blocks {
            let block = UnsafeMutableRawPointer.allocate(byteCount: blockBytes, alignment: 16)
            block.initializeMemory(as: UInt8.self, repeating: 1, count: blockBytes)
            large.append(block)
            small.append(UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16))
        }
        defer { for block in small { block.deallocate() } }
        for block in large { block.deallocate() }
        let freedBytes = blocks * blockBytes

        // A reserve larger than what is loose: nothing to do.
        #expect(HeapTrimmer.trim(keepingBytes: 64 << 30) == nil)
        let trimmed = try #require(HeapTrimmer.trim(keepingBytes: 64 << 20))
        // Tests running meanwhile allocate too, and may take some of the freed blocks: at least a
        // quarter of them must be handed back.
        #expect(trimmed.before - trimmed.after > freedBytes / 4, "resident \(trimmed.before >> 20) -> \(trimmed.after >> 20) MiB")
    }
}
