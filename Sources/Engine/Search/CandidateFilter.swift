/// The items that can still matter for some words of a query, as one bit per slot: for each
/// word, the union of its posting lists at the levels that could still lift an item into the
/// page, intersected over the words. Building it reads those postings once, in order (about a
/// nanosecond each); a search builds it when checking candidates one by one through their own
/// terms (tens to a hundred nanoseconds each) has cost about as much, and builds it again,
/// from fewer terms, when a fuller page raises the levels that can still matter.
struct CandidateFilter {
    /// A term whose postings count, and in which fields (bit 0 title, bit 1 author).
    struct Source {
        var term: UInt32
        var fields: UInt32
    }

    private var bits: [UInt64]
    private var scratch: [UInt64] = []
    private var isEmpty = true
    /// Items admitted; set by `intersect`.
    private(set) var count = 0

    init(slotCount: Int) {
        bits = [UInt64](repeating: 0, count: (slotCount + 63) / 64)
    }

    /// Narrows the filter to the items with a posting among `sources` (the first call sets it).
    mutating func intersect(_ sources: [Source], postings: [[UInt32]]) {
        defer { count = bits.reduce(0) { $0 + $1.nonzeroBitCount } }
        if isEmpty {
            Self.mark(sources, postings: postings, into: &bits)
            isEmpty = false
            return
        }
        if scratch.isEmpty { scratch = [UInt64](repeating: 0, count: bits.count) } else { scratch.withUnsafeMutableBufferPointer { $0.update(repeating: 0) } }
        Self.mark(sources, postings: postings, into: &scratch)
        bits.withUnsafeMutableBufferPointer { bits in
            scratch.withUnsafeBufferPointer { scratch in
                for index in 0..<bits.count { bits[index] &= scratch[index] }
            }
        }
    }

    private static func mark(_ sources: [Source], postings: [[UInt32]], into target: inout [UInt64]) {
        target.withUnsafeMutableBufferPointer { target in
            for source in sources {
                postings[Int(source.term)].withUnsafeBufferPointer { list in
                    if source.fields == 0b11 {
                        for posting in list { target[Int(posting >> 7)] |= 1 << UInt64((posting >> 1) & 63) }
                    } else {
                        for posting in list where (1 << (posting & 1)) & source.fields != 0 {
                            target[Int(posting >> 7)] |= 1 << UInt64((posting >> 1) & 63)
                        }
                    }
                }
            }
        }
    }

    /// Appends the admitted slots in `range`, ascending.
    func appendSlots(in range: Range<Int>, to slots: inout [UInt32]) {
        guard !range.isEmpty else { return }
        bits.withUnsafeBufferPointer { bits in
            for word in range.lowerBound >> 6...(range.upperBound - 1) >> 6 {
                var word64 = bits[word]
                while word64 != 0 {
                    let slot = word << 6 + word64.trailingZeroBitCount
                    word64 &= word64 - 1
                    if range.contains(slot) { slots.append(UInt32(slot)) }
                }
            }
        }
    }

    @inline(__always) func contains(_ slot: UInt32) -> Bool {
        bits[Int(slot >> 6)] & (1 << UInt64(slot & 63)) != 0
    }
}
