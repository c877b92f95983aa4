/// Finds the terms within a few edits of a word without measuring the distance to every term.
/// Terms are filed by character count (an edit changes it by one at most), each with a 32-bit
/// signature: one bit per letter a–z, six more shared by the other characters. An edit adds
/// at most one character and removes at most one, so words `d` edits apart differ in at most
/// `2d` signature bits; only terms that pass both filters are measured.
struct TypoFilter: Sendable {
    private(set) var terms = [[UInt32]](repeating: [], count: SearchLimits.wordBytesMax + 1)
    private(set) var signatures = [[UInt32]](repeating: [], count: SearchLimits.wordBytesMax + 1)

    mutating func add(_ term: UInt32, _ word: UnsafeBufferPointer<UInt8>) {
        let characters = SearchText.characterCount(word)
        terms[characters].append(term)
        signatures[characters].append(Self.signature(word))
    }

    /// Calls `body` with every term at most `limit` edits from `word` (`word` itself included
    /// when it is a term).
    func forEachTerm(within limit: Int, of word: UnsafeBufferPointer<UInt8>, view: TermView, _ body: (UInt32) -> Void) {
        let characters = SearchText.characterCount(word)
        let signature = Self.signature(word)
        let bitsMax = 2 * limit
        for count in max(1, characters - limit)...min(SearchLimits.wordBytesMax, characters + limit) {
            terms[count].withUnsafeBufferPointer { terms in
                signatures[count].withUnsafeBufferPointer { signatures in
                    for index in 0..<signatures.count where (signatures[index] ^ signature).nonzeroBitCount <= bitsMax {
                        let term = terms[index]
                        if EditDistance.isWithin(limit, view[term], word) { body(term) }
                    }
                }
            }
        }
    }

    /// One bit per character present: a–z their own, any other character (digits, letters
    /// outside ASCII, by their first byte) one of six.
    @inline(__always) static func signature(_ word: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var signature: UInt32 = 0
        for byte in word where byte & 0xC0 != 0x80 {
            let letter = byte &- UInt8(ascii: "a")
            signature |= letter < 26 ? 1 << UInt32(letter) : 1 << (26 + UInt32(byte % 6))
        }
        return signature
    }

    var memoryBytes: Int {
        terms.reduce(0) { $0 + $1.capacity * 4 + 32 } + signatures.reduce(0) { $0 + $1.capacity * 4 + 32 }
    }
}
