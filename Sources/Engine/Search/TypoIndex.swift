/// Finds the terms within a few edits of a word through deletion neighbourhoods (SymSpell):
/// two words are at most `d` edits apart only if deleting at most `d` characters from each can
/// make them equal (a replacement or a swap deletes one character on each side, an insertion
/// one on one side). Each term files the strings left by deleting characters from it; a query
/// looks up its own deletion variants, and itself, both here and among the terms. The
/// candidates are then measured exactly, so a hash collision only costs a measurement.
///
/// Memory grows with the vocabulary, not the items: about 5 entries per short term and 30 to
/// 60 per long one, 8 bytes each at a load of at most 3/4 (34 bytes per item at a million
/// items with a 75,000-term vocabulary).
struct TypoIndex: Sendable {
    /// Open addressing, linear probing: `tag << 32 | (term + 1)`, zero when free. The tag is
    /// the high half of the variant's hash; the probe starts from a mix of the tag, so the
    /// table can grow without the variants.
    private var table = [UInt64](repeating: 0, count: 1024)
    private(set) var entryCount = 0

    /// Edits a word of `characters` characters tolerates, and deletions a term of that length
    /// files. The term side needs no more: a query two edits from a 7-character term has 8
    /// characters or more, so one of its edits is an insertion, which deletes on its side only.
    static func edits(characters: Int) -> Int {
        characters >= SearchLimits.twoTyposCharactersMin ? 2 : characters >= SearchLimits.oneTypoCharactersMin ? 1 : 0
    }

    mutating func add(_ term: UInt32, _ word: UnsafeBufferPointer<UInt8>) {
        var tags: [UInt32] = []
        Self.forEachVariant(of: word, deletions: Self.edits(characters: SearchText.characterCount(word)), includingWord: false) { variant in
            tags.append(Self.tag(variant))
        }
        guard !tags.isEmpty else { return }
        tags.sort()
        var previous: UInt32?
        for tag in tags where tag != previous {
            previous = tag
            if (entryCount + 1) * 4 > table.count * 3 { grow() }
            place(UInt64(tag) << 32 | UInt64(term + 1))
            entryCount += 1
        }
    }

    /// Calls `body` with every term within `limit` edits of `word` (`word` included when it is
    /// a term), each once.
    func forEachTerm(within limit: Int, of word: UnsafeBufferPointer<UInt8>, terms: TermDictionary, _ body: (UInt32) -> Void) {
        var candidates: [UInt32] = []
        let mask = table.count - 1
        Self.forEachVariant(of: word, deletions: limit, includingWord: true) { variant in
            if let term = terms.find(variant) { candidates.append(term) }
            let tag = Self.tag(variant)
            var index = Self.start(tag, mask)
            while table[index] != 0 {
                if UInt32(truncatingIfNeeded: table[index] >> 32) == tag { candidates.append(UInt32(truncatingIfNeeded: table[index]) - 1) }
                index = (index + 1) & mask
            }
        }
        candidates.sort()
        var previous: UInt32?
        terms.withView { view in
            for term in candidates where term != previous {
                previous = term
                if EditDistance.isWithin(limit, view[term], word) { body(term) }
            }
        }
    }

    var memoryBytes: Int { table.capacity * 8 }

    private mutating func grow() {
        let old = table
        table = [UInt64](repeating: 0, count: old.count * 2)
        for entry in old where entry != 0 { place(entry) }
    }

    private mutating func place(_ entry: UInt64) {
        let mask = table.count - 1
        var index = Self.start(UInt32(truncatingIfNeeded: entry >> 32), mask)
        while table[index] != 0 { index = (index + 1) & mask }
        table[index] = entry
    }

    @inline(__always) private static func tag(_ variant: UnsafeBufferPointer<UInt8>) -> UInt32 {
        UInt32(truncatingIfNeeded: TermDictionary.hash(variant) >> 32)
    }

    @inline(__always) private static func start(_ tag: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: UInt64(tag) &* 0x9E37_79B9_7F4A_7C15 >> 29) & mask
    }

    /// Calls `body` with `word` less each choice of 1...`deletions` of its characters (and with
    /// `word` itself when asked); a variant may come more than once.
    static func forEachVariant(of word: UnsafeBufferPointer<UInt8>, deletions: Int, includingWord: Bool, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        if includingWord { body(word) }
        guard deletions > 0 else { return }
        // Character boundaries: character i is bytes starts[i]..<starts[i + 1].
        var starts: [Int] = []
        for (index, byte) in word.enumerated() where byte & 0xC0 != 0x80 { starts.append(index) }
        let count = starts.count
        starts.append(word.count)
        guard count > 1 else { return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: word.count) { buffer in
            func emit(skipping first: Int, _ second: Int) {
                var length = 0
                for character in 0..<count where character != first && character != second {
                    for byte in starts[character]..<starts[character + 1] {
                        buffer[length] = word[byte]
                        length += 1
                    }
                }
                body(UnsafeBufferPointer(rebasing: buffer[0..<length]))
            }
            for first in 0..<count { emit(skipping: first, -1) }
            guard deletions > 1, count > 2 else { return }
            for first in 0..<count {
                for second in first + 1..<count { emit(skipping: first, second) }
            }
        }
    }
}
