/// An array stored in fixed-size chunks. Copies share chunks, and a write copies only the chunk
/// it touches: after a snapshot captures a shard's arrays (copy on write), the next changes copy
/// a few chunks, not hundreds of megabytes, and growth never moves what is already stored.
public struct ChunkedArray<Element>: RandomAccessCollection, MutableCollection {
    /// 4,096 elements a chunk: 256 KiB of 64-byte loans.
    @usableFromInline static var shift: Int { 12 }
    @usableFromInline static var chunkSize: Int { 1 << shift }
    @usableFromInline static var mask: Int { chunkSize - 1 }

    @usableFromInline var chunks: [[Element]] = []
    public private(set) var count = 0

    public init() {}

    public init(repeating element: Element, count: Int) {
        append(contentsOf: repeatElement(element, count: count))
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    @inlinable public subscript(index: Int) -> Element {
        get {
            precondition(index >= 0 && index < count, "index \(index) outside 0..<\(count)")
            return chunks[index >> Self.shift][index & Self.mask]
        }
        _modify {
            precondition(index >= 0 && index < count, "index \(index) outside 0..<\(count)")
            yield &chunks[index >> Self.shift][index & Self.mask]
        }
    }

    public mutating func append(_ element: Element) {
        if count & Self.mask == 0 {
            var chunk: [Element] = []
            chunk.reserveCapacity(Self.chunkSize)
            chunks.append(chunk)
        }
        chunks[count >> Self.shift].append(element)
        count += 1
    }

    public mutating func append(contentsOf elements: some Sequence<Element>) {
        for element in elements { append(element) }
    }

    /// Removes the last `k` elements.
    public mutating func removeLast(_ k: Int) {
        precondition(k >= 0 && k <= count, "cannot remove \(k) of \(count) elements")
        var left = k
        while left > 0 {
            let last = chunks.count - 1
            let take = Swift.min(left, chunks[last].count)
            chunks[last].removeLast(take)
            if chunks[last].isEmpty { chunks.removeLast() }
            left -= take
        }
        count -= k
    }

    /// Chunks are allocated as needed; this reserves room for the chunk list only.
    public mutating func reserveCapacity(_ capacity: Int) {
        chunks.reserveCapacity((capacity + Self.mask) >> Self.shift)
    }
}

extension ChunkedArray: Sendable where Element: Sendable {}
extension ChunkedArray: Equatable where Element: Equatable {}
