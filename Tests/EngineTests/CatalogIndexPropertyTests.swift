import Engine
import PropertyBased
import Testing

/// `CatalogIndex` against `CatalogSearchReference` on random small catalogs built by random
/// upserts, changes and removals (ids mostly ascending, some below the largest), with random
/// queries: exact words, prefixes, typos, several words, ISBN starts and junk. Every page of
/// every query is compared, walking the pages with the cursor, on one index and on the merge
/// of per-shard indexes. A failure names its seed; `fixedSeed` reruns one.
@Suite(.shrinking(false))
struct CatalogIndexPropertyTests {
    @Test func indexMatchesReference() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            Self.check(seed: seed)
        }
    }

    /// Fixed seeds, so that part of the suite is the same on every run.
    @Test(arguments: [UInt64](1...30))
    func fixedSeed(_ seed: UInt64) {
        Self.check(seed: seed)
    }

    static func check(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let corpus = SearchCorpus(&random)
        let shardCount = random.int(2...4)
        var index = CatalogIndex()
        var shards = [CatalogIndex](repeating: CatalogIndex(), count: shardCount)
        var reference = CatalogSearchReference()
        var held: [ItemID] = []
        var used: Set<UInt64> = []
        var largest: UInt64 = 0

        for _ in 0..<random.int(1...90) {
            let choice = random.int(0...19)
            if choice < 12 || held.isEmpty {
                var id = largest + UInt64(random.int(1...3))
                if choice == 0, largest > 3, let free = (1..<largest).filter({ !used.contains($0) }).randomElement(using: &random) { id = free }
                used.insert(id)
                largest = max(largest, id)
                held.append(ItemID(id))
                let item = corpus.item(&random)
                index.upsert(ItemID(id), title: item.title, author: item.author, isbn: item.isbn)
                shards[Int(id % UInt64(shardCount))].upsert(ItemID(id), title: item.title, author: item.author, isbn: item.isbn)
                reference.upsert(ItemID(id), title: item.title, author: item.author, isbn: item.isbn)
            } else if choice < 17 {
                let id = random.pick(held)
                let item = corpus.item(&random)
                index.upsert(id, title: item.title, author: item.author, isbn: item.isbn)
                shards[Int(id.rawValue % UInt64(shardCount))].upsert(id, title: item.title, author: item.author, isbn: item.isbn)
                reference.upsert(id, title: item.title, author: item.author, isbn: item.isbn)
            } else {
                // Removes a held item, or one never held.
                let id = choice == 19 ? ItemID(largest + 100) : random.pick(held)
                held.removeAll { $0 == id }
                index.remove(id)
                shards[Int(id.rawValue % UInt64(shardCount))].remove(id)
                reference.remove(id)
            }
        }

        let violations = index.invariantViolations() + shards.flatMap { $0.invariantViolations() }
        guard violations.isEmpty else {
            Issue.record("seed \(seed): invariants broken: \(violations)")
            return
        }
        #expect(index.count == reference.entries.count, "seed \(seed)")

        for _ in 0..<16 {
            let query = corpus.query(&random, items: Array(reference.entries.values))
            let limit = random.int(1...4)
            var cursor: SearchCursor?
            var walked: [SearchHit] = []
            for _ in 0..<60 {
                let expected = reference.page(query, after: cursor, limit: limit)
                let found = index.search(query, after: cursor, limit: limit)
                let merged = CatalogIndex.merge(shards.map { $0.search(query, after: cursor, limit: limit + 1) }, limit: limit)
                guard found == expected, merged == expected else {
                    Issue.record(
                        """
                        seed \(seed): query \(query.debugDescription) after \(cursor.map { "\($0.score)/\($0.item)" } ?? "start") limit \(limit)
                          expected \(expected)
                          found    \(found)
                          merged   \(merged)
                        """)
                    return
                }
                walked += found
                guard found.count == limit, let last = found.last else { break }
                cursor = SearchCursor(after: last)
            }
            let all = reference.ranked(query)
            if walked.count < 60 * limit { #expect(walked == all, "seed \(seed): pages of \(query.debugDescription) do not add up to the ranking") }
        }
    }
}

/// Random catalog text over a small alphabet, so that words often share prefixes and lie a
/// typo or two apart; with accents, capitals and a few ISBN prefixes shared by many items.
struct SearchCorpus {
    let vocabulary: [String]
    let isbnPrefixes = ["978030", "9780306", "97814", "0306", "1234"]

    init(_ random: inout SeededRandom) {
        let letters = Array("aeinorst")
        var words: Set<String> = []
        let size = random.int(8...24)
        while words.count < size {
            words.insert(String((0..<random.int(1...10)).map { _ in random.pick(letters) }))
        }
        vocabulary = words.sorted()
    }

    func item(_ random: inout SeededRandom) -> (title: String, author: String, isbn: String) {
        let title = (0..<random.int(1...6)).map { _ in spelling(random.pick(vocabulary), &random) }
        let author = (0..<random.int(0...3)).map { _ in spelling(random.pick(vocabulary), &random) }
        return (join(title, &random), join(author, &random), isbn(&random))
    }

    /// A word as a cataloguer might type it: sometimes capitalized or with an accent that folds
    /// back to the word.
    func spelling(_ word: String, _ random: inout SeededRandom) -> String {
        switch random.int(0...9) {
        case 0: return word.uppercased()
        case 1: return word.replacingFirst("e", with: "é")
        case 2: return word.replacingFirst("o", with: "Ö")
        case 3: return word.replacingFirst("s", with: "ß")
        default: return word
        }
    }

    func join(_ words: [String], _ random: inout SeededRandom) -> String {
        var text = ""
        for (index, word) in words.enumerated() {
            if index > 0 { text += random.pick([" ", " ", "  ", "-", ", ", ": ", "/", "'", ".", "–"]) }
            text += word
        }
        return text
    }

    func isbn(_ random: inout SeededRandom) -> String {
        switch random.int(0...9) {
        case 0...5:
            var digits = random.pick(isbnPrefixes)
            let length = random.chance(50) ? 13 : 10
            while digits.count < length - 1 { digits += String(random.int(0...9)) }
            digits += random.chance(15) ? "X" : String(random.int(0...9))
            if random.chance(40) {
                var characters = Array(digits)
                for _ in 0..<random.int(1...3) { characters.insert("-", at: random.int(1...characters.count - 1)) }
                digits = String(characters)
            }
            return digits
        case 6: return "12-3"
        case 7: return String((0..<random.int(14...20)).map { _ in Character(String(random.int(0...9))) })
        default: return ""
        }
    }

    func query(_ random: inout SeededRandom, items: [CatalogSearchReference.Entry]) -> String {
        switch random.int(0...19) {
        case 0...4: return spelling(random.pick(vocabulary), &random)
        case 5...7: return prefix(random.pick(vocabulary), &random)
        case 8...10: return typo(random.pick(vocabulary), &random)
        case 11...14:
            let words = (0..<random.int(2...3)).map { _ in
                let word = random.pick(vocabulary)
                return random.chance(30) ? prefix(word, &random) : random.chance(30) ? typo(word, &random) : word
            }
            return join(words, &random)
        case 15...16:
            let isbns = items.compactMap(\.isbn)
            guard !isbns.isEmpty else { return "978030" }
            var text = String(random.pick(isbns).prefix(random.int(4...16)))
            if random.chance(30) { text.insert("-", at: text.index(text.startIndex, offsetBy: random.int(1...max(1, text.count - 1)))) }
            return random.chance(20) ? text.lowercased() : text
        case 17: return random.pick(["", "  ", "--", "é", "ß", random.pick(isbnPrefixes)])
        case 18: return (0..<random.int(8...12)).map { _ in random.pick(vocabulary) }.joined(separator: " ")
        default: return random.pick(vocabulary) + String(repeating: random.pick(["a", "e"]), count: random.int(20...40))
        }
    }

    func prefix(_ word: String, _ random: inout SeededRandom) -> String {
        String(word.prefix(random.int(1...word.count)))
    }

    /// One random edit: replace, insert, delete or swap.
    func typo(_ word: String, _ random: inout SeededRandom) -> String {
        var characters = Array(word)
        let letters = Array("aeinorst")
        switch random.int(0...3) {
        case 0: characters[random.int(0...characters.count - 1)] = random.pick(letters)
        case 1: characters.insert(random.pick(letters), at: random.int(0...characters.count))
        case 2 where characters.count > 1: characters.remove(at: random.int(0...characters.count - 1))
        default:
            if characters.count > 1 {
                let at = random.int(0...characters.count - 2)
                characters.swapAt(at, at + 1)
            }
        }
        return String(characters)
    }
}

extension String {
    func replacingFirst(_ target: Character, with replacement: String) -> String {
        guard let index = firstIndex(of: target) else { return self }
        return String(self[..<index]) + replacement + String(self[self.index(after: index)...])
    }
}
