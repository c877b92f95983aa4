/// A query resolved against an index's terms: for each word, the terms it matches and how,
/// and what its postings hold at each match level.
struct QueryPlan {
    var words: [QueryWord] = []
    var isbn: ISBNKey?

    init(_ query: String, index: CatalogIndex) {
        isbn = ISBNKey(query: query)
        var texts: [[UInt8]] = []
        SearchText.forEachWord(in: query, bytesMax: SearchLimits.queryBytesMax) { word in
            texts.append(Array(word))
            return texts.count < SearchLimits.queryWordsMax
        }
        for (position, text) in texts.enumerated() {
            words.append(QueryWord(text, isLast: position == texts.count - 1, index: index))
        }
    }

    /// True when every word matches at least one posting: otherwise no item matches all words.
    var wordsCanMatch: Bool { !words.isEmpty && words.allSatisfy { $0.postingsTotal > 0 } }
}

/// One query word: its exact term, its prefix range of terms, its typo terms, and how many
/// postings each match level holds (which picks the driver word and sizes its tiers).
struct QueryWord {
    static let noTerm = UInt32.max

    var exact = noTerm
    /// Positions in the dictionary's byte order of the terms it starts (the exact term included).
    var prefixRanks: Range<UInt32> = 0..<0
    /// Terms it starts that are not in the byte order yet.
    var unsortedPrefixTerms: [UInt32] = []
    /// Terms within its typo distance that it neither equals nor starts, ascending.
    var typoTerms: [UInt32] = []
    /// Postings at each match level (index: `MatchLevel`).
    var postingsByLevel = [Int](repeating: 0, count: 7)
    var postingsTotal = 0
    /// The best and worst levels any item can reach on this word (0 when none).
    var levelMax: UInt8 = 0
    var levelMin: UInt8 = 0
    /// True when the word can match a title word.
    var reachesTitle = false

    init(_ text: [UInt8], isLast: Bool, index: CatalogIndex) {
        let terms = index.terms
        text.withUnsafeBufferPointer { word in
            let characters = SearchText.characterCount(word)
            exact = terms.find(word) ?? Self.noTerm
            let prefixes = isLast || characters >= SearchLimits.prefixCharactersMin
            if prefixes {
                let range = terms.prefixRange(word)
                prefixRanks = UInt32(range.lowerBound)..<UInt32(range.upperBound)
                unsortedPrefixTerms = terms.unsortedTerms(withPrefix: word)
            }
            let typos = TypoIndex.edits(characters: characters)
            if typos > 0 {
                terms.typos.forEachTerm(within: typos, of: word, terms: terms) { term in
                    if term != exact && !isPrefix(term, rank: terms.ranks[Int(term)]) { typoTerms.append(term) }
                }
                typoTerms.sort()
            }
        }
        for kind in [MatchLevel.exact, MatchLevel.prefix, MatchLevel.typo] {
            for term in self.terms(ofKind: kind, sorted: terms.sorted) {
                let total = Int(index.postingCounts[Int(term)])
                let title = Int(index.titlePostingCounts[Int(term)])
                postingsByLevel[Int(MatchLevel.level(kind: kind, field: 0))] += title
                postingsByLevel[Int(MatchLevel.level(kind: kind, field: 1))] += total - title
            }
        }
        postingsTotal = postingsByLevel.reduce(0, +)
        for level in 1...MatchLevel.exactTitle where postingsByLevel[Int(level)] > 0 {
            if levelMin == 0 { levelMin = level }
            levelMax = level
            if MatchLevel.isTitle(level) { reachesTitle = true }
        }
    }

    @inline(__always) private func isPrefix(_ term: UInt32, rank: UInt32) -> Bool {
        rank != TermDictionary.unranked ? prefixRanks.contains(rank) : unsortedPrefixTerms.contains(term)
    }

    /// The terms this word matches with `kind`, each once, the exact term only as exact.
    func terms(ofKind kind: UInt8, sorted: [UInt32]) -> [UInt32] {
        switch kind {
        case MatchLevel.exact:
            return exact == Self.noTerm ? [] : [exact]
        case MatchLevel.prefix:
            var terms = sorted[Int(prefixRanks.lowerBound)..<Int(prefixRanks.upperBound)].filter { $0 != exact }
            terms += unsortedPrefixTerms.filter { $0 != exact }
            return terms
        default:
            return typoTerms
        }
    }
}
