import CURing

/// Process-wide settings of the C allocator for a long-running server.
public enum Allocator {
    /// Blocks up to this size come from the heap, never from a mapping of their own.
    public static let mappingThresholdBytes: Int32 = 32 << 20
    /// Free memory at the top of a heap kept for reuse instead of handed back to the kernel.
    public static let trimThresholdBytes: Int32 = 256 << 20
    /// Resident memory beyond what is in use that the server tolerates before it hands free heap
    /// back (`HeapTrimmer`), and how often it checks.
    public static let looseBytesMax = 256 << 20
    public static let looseCheckSeconds: Double = 10

    /// Keeps freed memory for reuse. By default glibc serves large blocks (a batch's encoded
    /// record, the log's pending buffer: up to a few MiB) from mappings of their own and unmaps
    /// them when freed, and trims a heap's free top; the next batch then faults the same memory
    /// in again, each page zeroed by the kernel. Memory in use is unchanged; a process keeps up
    /// to `trimThresholdBytes` of free heap. Call once at start. Returns whether the C library
    /// took the settings.
    @discardableResult
    public static func keepFreedMemory() -> Bool {
        libra_allocator_keep_freed(mappingThresholdBytes, trimThresholdBytes) == 1
    }

    /// Memory allocated and not freed through the C allocator; nil where it cannot tell.
    public static var inUseBytes: Int? {
        let bytes = libra_allocator_in_use_bytes()
        return bytes >= 0 ? Int(bytes) : nil
    }

    /// Hands the free pages of every heap back to the kernel. glibc trims only the top of a
    /// heap, and only of the heap that frees: free memory in the middle of a heap, or in the
    /// heap of a thread that no longer frees much, stays resident (after a burst of batched
    /// load: about 1 GB in two heaps, against 0.7 GB in use). Blocking (it walks every heap,
    /// holding each one's lock in turn): call off the cooperative pool.
    public static func returnFreedMemory() {
        libra_allocator_trim()
    }
}
