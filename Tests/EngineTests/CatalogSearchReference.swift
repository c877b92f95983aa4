import Engine

/// The catalog search rules written out plainly, for comparison with `CatalogIndex`: every
/// item is scored against every query word by direct comparison, then everything is sorted.
/// Normalization covers the characters the generators use (ASCII and a few accented letters).
struct CatalogSearchReference {
    struct Entry {
        var id: ItemID
        var title: [String]
        var author: [String]
        var isbn: String?
    }

    private(set) var entries: [ItemID: Entry] = [:]

    mutating func upsert(_ id: ItemID, title: String, author: String, isbn: String) {
        entries[id] = Entry(
            id: id, title: Self.distinct(Self.words(title, bytesMax: 512), max: 48),
            author: Self.distinct(Self.words(author, bytesMax: 256), max: 16), isbn: Self.storedISBN(isbn))
    }

    mutating func remove(_ id: ItemID) { entries[id] = nil }

    /// Every match, best first.
    func ranked(_ query: String) -> [SearchHit] {
        let words = Array(Self.words(query, bytesMax: 256).prefix(8))
        let isbn = Self.queryISBN(query)
        var hits: [SearchHit] = []
        for entry in entries.values {
            var score: Int32?
            if let isbn, let stored = entry.isbn, stored.hasPrefix(isbn) {
                score = stored == isbn ? 1000 : 500
            } else if !words.isEmpty {
                score = wordScore(words, entry)
            }
            if let score { hits.append(SearchHit(item: entry.id, score: score)) }
        }
        return hits.sorted { $0.score != $1.score ? $0.score > $1.score : $0.item < $1.item }
    }

    /// One page: the hits after `cursor`, at most `limit` (clamped as the index clamps).
    func page(_ query: String, after cursor: SearchCursor?, limit: Int) -> [SearchHit] {
        let all = ranked(query)
        let after = all.filter { hit in
            guard let cursor else { return true }
            return hit.score < cursor.score || (hit.score == cursor.score && hit.item > cursor.item)
        }
        return Array(after.prefix(min(max(limit, 0), 101)))
    }

    private func wordScore(_ words: [String], _ entry: Entry) -> Int32? {
        var total: Int32 = 0
        var allTitle = true
        for (index, word) in words.enumerated() {
            let isLast = index == words.count - 1
            var best = 0
            for term in entry.title { best = max(best, Self.level(word, term, isLast: isLast, title: true)) }
            for term in entry.author { best = max(best, Self.level(word, term, isLast: isLast, title: false)) }
            if best == 0 { return nil }
            total += Int32(best * 10)
            if best % 2 == 1 { allTitle = false }
        }
        return allTitle ? total + 5 : total
    }

    /// 6 exact title, 5 exact author, 4 prefix title, 3 prefix author, 2 typo title, 1 typo author.
    static func level(_ word: String, _ term: String, isLast: Bool, title: Bool) -> Int {
        let fieldLevel = title ? 0 : -1
        let characters = word.unicodeScalars.count
        if word == term { return 6 + fieldLevel }
        if (isLast || characters >= 3) && term.unicodeScalars.starts(with: word.unicodeScalars) { return 4 + fieldLevel }
        let typos = characters >= 8 ? 2 : characters >= 4 ? 1 : 0
        if typos > 0 && distance(Array(word.unicodeScalars), Array(term.unicodeScalars)) <= typos { return 2 + fieldLevel }
        return 0
    }

    /// Optimal string alignment distance, the full table.
    static func distance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }

    static let folded: [Character: String] = [
        "é": "e", "è": "e", "ê": "e", "ë": "e", "É": "e", "á": "a", "à": "a", "â": "a", "ä": "a", "Ä": "a",
        "ó": "o", "ö": "o", "ô": "o", "Ö": "o", "ü": "u", "ú": "u", "Ü": "u", "ñ": "n", "ç": "c", "Ç": "c",
        "ß": "ss", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "í": "i", "ł": "l", "Ł": "l",
    ]

    /// Words of `text`, normalized, reading at most `bytesMax` bytes; each cut to 32 bytes.
    static func words(_ text: String, bytesMax: Int) -> [String] {
        var words: [String] = []
        var word = ""
        var full = false
        var read = 0
        func finish() {
            if !word.isEmpty { words.append(word) }
            word = ""
            full = false
        }
        for scalar in text.unicodeScalars {
            read += String(scalar).utf8.count
            if read > bytesMax { break }
            let character = Character(scalar)
            var piece: String?
            if scalar.isASCII {
                if character.isLetter || character.isNumber { piece = character.lowercased() }
            } else {
                piece = folded[character]
            }
            guard let piece else {
                finish()
                continue
            }
            if full || word.utf8.count + piece.utf8.count > 32 { full = true } else { word += piece }
        }
        finish()
        return words
    }

    static func distinct(_ words: [String], max: Int) -> [String] {
        var seen: [String] = []
        for word in words where !seen.contains(word) && seen.count < max { seen.append(word) }
        return seen
    }

    static func storedISBN(_ text: String) -> String? {
        let characters = String(decoding: text.utf8.prefix(32), as: UTF8.self).filter { $0.isWholeNumber && $0.isASCII || $0 == "x" || $0 == "X" }.uppercased()
        return (6...16).contains(characters.count) ? characters : nil
    }

    static func queryISBN(_ text: String) -> String? {
        let bytes = String(decoding: text.utf8.prefix(256), as: UTF8.self)
        guard bytes.allSatisfy({ ($0.isASCII && $0.isWholeNumber) || "xX- ".contains($0) }) else { return nil }
        let characters = bytes.filter { $0 != "-" && $0 != " " }.uppercased()
        return (6...16).contains(characters.count) ? characters : nil
    }
}
