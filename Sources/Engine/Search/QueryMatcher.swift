/// How each query word matches a term, answered in a few instructions per item word: one byte
/// per query word (at most eight, `SearchLimits.queryWordsMax`) packed in a `UInt64`. The
/// exact, typo and not-yet-sorted prefix terms of all the words are in a small hash table
/// (term → the match kind per word); the prefix terms in byte order are a range of ranks per
/// word. Levels are combined byte-wise in the word (SWAR): the values are at most 6, so no
/// byte ever carries into the next.
struct QueryMatcher {
    static let lowBits: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// 0x01 in the byte of each of the query's words.
    let usedLowBits: UInt64
    private var prefixLows: [UInt32] = []
    private var prefixWidths: [UInt32] = []
    private var prefixShifts: [UInt64] = []
    private var keys: [UInt32]
    private var kinds: [UInt64]
    private let mask: Int

    var hasPrefixes: Bool { !prefixLows.isEmpty }

    init(_ words: [QueryWord]) {
        precondition(words.count <= 8, "a query has at most 8 words")
        usedLowBits = words.isEmpty ? 0 : Self.lowBits >> UInt64(64 - 8 * words.count)
        var entries = 0
        for word in words { entries += 1 + word.typoTerms.count + word.unsortedPrefixTerms.count }
        var capacity = 16
        while capacity < 2 * entries { capacity *= 2 }
        keys = [UInt32](repeating: 0, count: capacity)
        kinds = [UInt64](repeating: 0, count: capacity)
        mask = capacity - 1
        for (index, word) in words.enumerated() {
            if !word.prefixRanks.isEmpty {
                prefixLows.append(word.prefixRanks.lowerBound)
                prefixWidths.append(word.prefixRanks.upperBound - word.prefixRanks.lowerBound)
                prefixShifts.append(UInt64(8 * index))
            }
            if word.exact != QueryWord.noTerm { note(word.exact, word: index, kind: MatchLevel.exact) }
            for term in word.unsortedPrefixTerms { note(term, word: index, kind: MatchLevel.prefix) }
            for term in word.typoTerms { note(term, word: index, kind: MatchLevel.typo) }
        }
    }

    private mutating func note(_ term: UInt32, word: Int, kind: UInt8) {
        var index = Self.slot(term, mask)
        while keys[index] != 0 && keys[index] != term + 1 { index = (index + 1) & mask }
        keys[index] = term + 1
        kinds[index] = Self.raise(kinds[index], shift: UInt64(8 * word), to: UInt64(kind))
    }

    @inline(__always) private static func slot(_ term: UInt32, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (term &* 0x9E37_79B1) >> 7) & mask
    }

    /// `packed` with the byte at `shift` raised to `value` when below it.
    @inline(__always) private static func raise(_ packed: UInt64, shift: UInt64, to value: UInt64) -> UInt64 {
        let current = (packed >> shift) & 0xFF
        return current >= value ? packed : (packed & ~(0xFF << shift)) | (value << shift)
    }

    /// The match kind (`MatchLevel.exact`, `.prefix`, `.typo` or 0) of each word for a term,
    /// a byte each.
    @inline(__always) func kinds(term: UInt32, rank: UInt32) -> UInt64 {
        var index = Self.slot(term, mask)
        var found: UInt64 = 0
        while true {
            let key = keys[index]
            if key == term + 1 {
                found = kinds[index]
                break
            }
            if key == 0 { break }
            index = (index + 1) & mask
        }
        for word in prefixLows.indices where rank &- prefixLows[word] < prefixWidths[word] {
            found = Self.raise(found, shift: prefixShifts[word], to: UInt64(MatchLevel.prefix))
        }
        return found
    }

    /// Match levels from kinds for a term in `field` (title 0, author 1): kind × 2, less one
    /// for an author word, zero where the word does not match.
    @inline(__always) static func levels(kinds: UInt64, field: UInt32) -> UInt64 {
        let matched = (kinds | kinds >> 1) & lowBits
        return kinds << 1 &- (field == 0 ? 0 : matched)
    }

    /// The byte-wise maximum of two packed level words.
    @inline(__always) static func maximum(_ a: UInt64, _ b: UInt64) -> UInt64 {
        // The high bit of each byte of `(a | H) - b` is set where a's byte is at least b's.
        let aAtLeastB = (((a | highBits) &- b) & highBits) >> 7 &* 0xFF
        return (a & aAtLeastB) | (b & ~aAtLeastB)
    }

    /// True when every query word has a level (a nonzero byte).
    @inline(__always) func allMatched(_ levels: UInt64) -> Bool {
        (levels | levels >> 1 | levels >> 2) & usedLowBits == usedLowBits
    }

    /// The sum of the bytes.
    @inline(__always) static func sum(_ levels: UInt64) -> Int32 {
        Int32(truncatingIfNeeded: (levels &* lowBits) >> 56)
    }

    /// True when every query word's level is a title level (even).
    @inline(__always) func allTitle(_ levels: UInt64) -> Bool {
        levels & usedLowBits == 0
    }

    @inline(__always) static func level(_ levels: UInt64, word: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: levels >> UInt64(8 * word))
    }
}
