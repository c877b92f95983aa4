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

    /// Where an array's elements start in its storage object: after the object header
    /// (metadata and reference counts) and the count and capacity words. The standard library
    /// does not publish it; the tests check it against `withUnsafeBufferPointer`'s answer
    /// (`ChunkedArrayTests`).
    static var elementsOffsetBytes: Int { 32 }

    /// The address element `index` would have, computed from the array's reference alone:
    /// neither retained nor its count read (`withUnsafeBufferPointer` did both in the engine's
    /// warming loops: an atomic write per call, seen in their disassembly, and a wait for the
    /// count's cache line). For prefetches only: the caller keeps the array alive, and a
    /// prefetch of any address is harmless.
    @inline(__always) func unretainedAddress(of index: Int) -> UnsafeRawPointer {
        unsafeBitCast(self, to: UnsafeRawPointer.self) + Self.elementsOffsetBytes + index * MemoryLayout<Element>.stride
    }

    /// Asks for the storage's header and the lines of its first `elements` elements, without
    /// waiting for the header to learn how many there are.
    @inline(__always) func prefetchStorage(elements: Int) {
        libra_prefetch_range(unretainedAddress(of: 0) - Self.elementsOffsetBytes, Self.elementsOffsetBytes + elements * MemoryLayout<Element>.stride)
    }
}

extension ChunkedArray {
    /// Asks for the cache lines of element `index` (its first `byteCount` bytes, or all of it).
    @inline(__always) func prefetch(_ index: Int, byteCount: Int = MemoryLayout<Element>.size) {
        guard index >= 0 && index < count else { return }
        libra_prefetch_range(address(of: index), byteCount)
    }

    /// The address of element `index`, from its chunk's reference (see `Array.unretainedAddress`).
    @inline(__always) func address(of index: Int) -> UnsafeRawPointer {
        chunks[index >> Self.shift].unretainedAddress(of: index & Self.mask)
    }
}
