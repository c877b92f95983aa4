/// The distinct words of an index ("terms"), each with a stable id, its position in it: the
/// bytes of all terms in one arena, a hash table from bytes to id, and the terms in byte
/// order, where the terms that start with some text form one range.
///
/// Keeping the byte order exact on every new term would move the whole order each time; new
/// terms wait instead in a short unsorted list (read in full by lookups) until
/// `unsortedMax` of them are merged in at once, so a new term costs O(terms / 256).
struct TermDictionary: Sendable {
    static let unsortedMax = 256
    /// The rank of a term still in the unsorted list.
    static let unranked = UInt32.max

    private(set) var arena: [UInt8] = []
    private(set) var starts: [UInt32] = []
    private(set) var lengths: [UInt8] = []
    /// Term ids in byte order.
    private(set) var sorted: [UInt32] = []
    /// Each term's position in `sorted`, or `unranked`.
    private(set) var ranks: [UInt32] = []
    private(set) var unsorted: [UInt32] = []
    /// Open addressing, linear probing; an entry is a term id plus one, zero when free.
    private var table = [UInt32](repeating: 0, count: 64)
    /// Typo candidates: `TypoIndex`.
    private(set) var typos = TypoIndex()

    var count: Int { starts.count }

    /// The term spelled `word`, if any.
    func find(_ word: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let mask = table.count - 1
        var index = Int(truncatingIfNeeded: Self.hash(word)) & mask
        return withView { view in
            while true {
                let entry = table[index]
                if entry == 0 { return nil }
                if view.equals(entry - 1, word) { return entry - 1 }
                index = (index + 1) & mask
            }
        }
    }

    /// The term spelled `word`, added when new.
    mutating func insert(_ word: UnsafeBufferPointer<UInt8>) -> UInt32 {
        precondition(!word.isEmpty && word.count <= SearchLimits.wordBytesMax, "a term has 1...\(SearchLimits.wordBytesMax) bytes, not \(word.count)")
        if let term = find(word) { return term }
        if (count + 1) * 2 > table.count { rehash(capacity: table.count * 2) }
        precondition(arena.count + word.count <= Int(UInt32.max), "term arena full")
        let term = UInt32(count)
        starts.append(UInt32(arena.count))
        lengths.append(UInt8(word.count))
        arena.append(contentsOf: word)
        ranks.append(Self.unranked)
        unsorted.append(term)
        typos.add(term, word)
        place(term, hash: Self.hash(word))
        if unsorted.count >= Self.unsortedMax { mergeUnsorted() }
        return term
    }

    /// Sorts the unsorted terms into the byte order (after a bulk load, or every
    /// `unsortedMax` new terms).
    mutating func mergeUnsorted() {
        guard !unsorted.isEmpty else { return }
        withView { view in
            unsorted.sort { view.compare($0, $1) < 0 }
            var merged: [UInt32] = []
            merged.reserveCapacity(sorted.count + unsorted.count)
            var left = 0
            var right = 0
            while left < sorted.count || right < unsorted.count {
                if right == unsorted.count || (left < sorted.count && view.compare(sorted[left], unsorted[right]) < 0) {
                    merged.append(sorted[left])
                    left += 1
                } else {
                    merged.append(unsorted[right])
                    right += 1
                }
            }
            sorted = merged
        }
        unsorted.removeAll(keepingCapacity: true)
        for (rank, term) in sorted.enumerated() { ranks[Int(term)] = UInt32(rank) }
    }

    /// The positions in `sorted` of the terms that start with `word` (`word` itself included).
    func prefixRange(_ word: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        withView { view in
            // Terms below `word` come first, then those starting with it, then those above.
            let lower = partition { view.compare(prefixOf: $0, word) < 0 || (view.compare(prefixOf: $0, word) == 0 && view.length($0) < word.count) }
            let upper = partition { view.compare(prefixOf: $0, word) <= 0 }
            return lower..<max(lower, upper)
        }
    }

    /// The unsorted terms that start with `word`.
    func unsortedTerms(withPrefix word: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        withView { view in unsorted.filter { view.compare(prefixOf: $0, word) == 0 && view.length($0) >= word.count } }
    }

    /// The first position in `sorted` whose term does not satisfy `isBelow` (which must hold
    /// for a prefix of `sorted`).
    private func partition(_ isBelow: (UInt32) -> Bool) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if isBelow(sorted[middle]) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    func withView<Result>(_ body: (TermView) throws -> Result) rethrows -> Result {
        try arena.withUnsafeBufferPointer { arena in
            try starts.withUnsafeBufferPointer { starts in
                try lengths.withUnsafeBufferPointer { lengths in
                    try body(TermView(arena: arena, starts: starts, lengths: lengths))
                }
            }
        }
    }

    /// Bytes held, counting capacity.
    var memoryBytes: Int {
        arena.capacity + starts.capacity * 4 + lengths.capacity + sorted.capacity * 4 + ranks.capacity * 4
            + unsorted.capacity * 4 + table.capacity * 4 + typos.memoryBytes
    }

    private mutating func rehash(capacity: Int) {
        table = [UInt32](repeating: 0, count: capacity)
        withView { view in
            for term in 0..<UInt32(count) { place(term, hash: Self.hash(view[term])) }
        }
    }

    private mutating func place(_ term: UInt32, hash: UInt64) {
        let mask = table.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while table[index] != 0 { index = (index + 1) & mask }
        table[index] = term + 1
    }

    /// FNV-1a, then a final mix so that the low bits used as the table index depend on every byte.
    @inline(__always) static func hash(_ word: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in word { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return (hash ^ (hash >> 29)) &* 0xbf58_476d_1ce4_e5b9
    }
}

/// Read access to the terms' bytes, valid inside `TermDictionary.withView`.
struct TermView {
    let arena: UnsafeBufferPointer<UInt8>
    let starts: UnsafeBufferPointer<UInt32>
    let lengths: UnsafeBufferPointer<UInt8>

    @inline(__always) subscript(term: UInt32) -> UnsafeBufferPointer<UInt8> {
        let start = Int(starts[Int(term)])
        return UnsafeBufferPointer(rebasing: arena[start..<start + Int(lengths[Int(term)])])
    }

    @inline(__always) func length(_ term: UInt32) -> Int { Int(lengths[Int(term)]) }

    @inline(__always) func equals(_ term: UInt32, _ word: UnsafeBufferPointer<UInt8>) -> Bool {
        let bytes = self[term]
        guard bytes.count == word.count else { return false }
        for index in 0..<word.count where bytes[index] != word[index] { return false }
        return true
    }

    /// Byte order; a word sorts before the longer words it starts.
    func compare(_ first: UInt32, _ second: UInt32) -> Int {
        compare(self[first], self[second])
    }

    /// The first `word.count` bytes of the term (all of it when shorter) against `word`.
    @inline(__always) func compare(prefixOf term: UInt32, _ word: UnsafeBufferPointer<UInt8>) -> Int {
        let bytes = self[term]
        let common = min(bytes.count, word.count)
        for index in 0..<common where bytes[index] != word[index] { return bytes[index] < word[index] ? -1 : 1 }
        return 0
    }

    @inline(__always) func compare(_ first: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>) -> Int {
        let common = min(first.count, second.count)
        for index in 0..<common where first[index] != second[index] { return first[index] < second[index] ? -1 : 1 }
        return first.count < second.count ? -1 : first.count > second.count ? 1 : 0
    }
}
