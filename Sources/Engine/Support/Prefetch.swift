import CPrefetch

/// Cache warming asks for the records a run of steps or events will read before it runs them:
/// a prefetch starts a miss and does not wait for it, so a loop over the run puts many misses in
/// flight at once, and the rules then find their records in cache (see ShardState+Warm.swift).
/// An index out of range asks for nothing; a prefetch never faults.
extension Array {
    @inline(__always) func prefetch(_ index: Int) {
        guard index >= 0 && index < count else { return }
        withUnsafeBufferPointer { elements in libra_prefetch(elements.baseAddress! + index) }
    }
}

extension ChunkedArray {
    /// Where an array's elements start in its storage object: after the object header
    /// (metadata and reference counts) and the count and capacity words. The tests check it
    /// against the standard library's own answer (`ChunkedArrayTests`).
    static var elementsOffsetBytes: Int { 32 }

    /// Asks for the cache lines of element `index` (its first `byteCount` bytes, or all of it).
    @inline(__always) func prefetch(_ index: Int, byteCount: Int = MemoryLayout<Element>.size) {
        guard index >= 0 && index < count else { return }
        libra_prefetch_range(address(of: index), byteCount)
    }

    /// The address of element `index`, read from its chunk's reference. Through
    /// `withUnsafeBufferPointer` the engine's warming loops retained and released the chunk on
    /// every call (seen in their disassembly; 5 % of the engine's throughput), while `self`
    /// keeps the chunk alive anyway, and a prefetch of any address is harmless.
    @inline(__always) func address(of index: Int) -> UnsafeRawPointer {
        unsafeBitCast(chunks[index >> Self.shift], to: UnsafeRawPointer.self) + Self.elementsOffsetBytes
            + (index & Self.mask) * MemoryLayout<Element>.stride
    }
}
