import Testing
import WAL

@Suite struct AllocatorTests {
    /// `libra serve` keeps freed memory for reuse; on glibc both settings must be taken (a shim
    /// that silently did nothing would bring back a page fault per reused page).
    @Test func glibcTakesTheSettings() {
        #if canImport(Glibc)
        #expect(Allocator.keepFreedMemory())
        #endif
        // Allocation still works after the change, at sizes on either side of the old threshold.
        for bytes in [64, 128 << 10, 4 << 20] {
            let buffer = [UInt8](repeating: 7, count: bytes)
            #expect(buffer.count == bytes && buffer.last == 7)
        }
    }
}
