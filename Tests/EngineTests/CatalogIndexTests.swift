import Engine
import Testing

/// The matching and ranking rules of `CatalogIndex`, one by one, on small hand-made catalogs.
struct CatalogIndexTests {
    static func index(_ items: [(UInt64, String, String, String)]) -> CatalogIndex {
        var index = CatalogIndex()
        for (id, title, author, isbn) in items { index.upsert(ItemID(id), title: title, author: author, isbn: isbn) }
        #expect(index.invariantViolations() == [])
        return index
    }

    static let library = index([
        (1, "Dune", "Frank Herbert", "9780441013593"),
        (2, "Foundation", "Isaac Asimov", "9780553293357"),
        (3, "Foundation and Empire", "Isaac Asimov", "0553293370"),
        (4, "Les Misérables", "Victor Hugo", "978-0-14-044430-8"),
        (5, "Cien años de soledad", "Gabriel García Márquez", "9780060883287"),
        (6, "Die Straße", "Ann Petry", ""),
        (7, "Harry Potter and the Philosopher's Stone", "J. K. Rowling", "9780747532699"),
        (8, "Potter's Field", "Ellis Peters", "9780751511048"),
        (9, "The Dune Encyclopedia", "Willis McNelly", "9780425065594"),
        (10, "Herbert West: Reanimator", "H. P. Lovecraft", "978-0-306-40615-7"),
    ])

    static func ids(_ hits: [SearchHit]) -> [UInt64] { hits.map(\.item.rawValue) }
    static func search(_ query: String, limit: Int = 100) -> [SearchHit] { library.search(query, limit: limit) }

    @Test func exactWordsInTitleAndAuthor() {
        #expect(Self.search("dune") == [SearchHit(item: 1, score: 65), SearchHit(item: 9, score: 65)])
        #expect(Self.search("asimov") == [SearchHit(item: 2, score: 50), SearchHit(item: 3, score: 50)])
        // An exact title word ranks above an exact author word: "herbert" is both.
        #expect(Self.search("herbert") == [SearchHit(item: 10, score: 65), SearchHit(item: 1, score: 50)])
        #expect(Self.search("DUNE") == Self.search("dune"))
    }

    @Test func prefixes() {
        // The last word matches as a prefix whatever its length.
        #expect(Self.ids(Self.search("foun")) == [2, 3])
        #expect(Self.search("foun").allSatisfy { $0.score == 45 })
        #expect(Self.ids(Self.search("f")).sorted() == [1, 2, 3, 8])
        // Other words from three characters: "pot" yes, "po" no.
        #expect(Self.ids(Self.search("pot harry")) == [7])
        #expect(Self.search("po harry") == [])
        // A prefix of an author word.
        #expect(Self.search("asim") == [SearchHit(item: 2, score: 30), SearchHit(item: 3, score: 30)])
    }

    @Test func typosOfEveryKind() {
        // Substitution, insertion, deletion and transposition: one edit from four characters.
        for typo in ["foundatian", "fouundation", "foundaton", "fuondation"] {
            #expect(Self.ids(Self.search(typo)).contains(2), "\(typo)")
            #expect(Self.search(typo).first { $0.item == 2 }?.score == 25, "\(typo)")
        }
        #expect(Self.search("dume") == [SearchHit(item: 1, score: 25), SearchHit(item: 9, score: 25)])
        // Two edits from eight characters, not below.
        #expect(Self.ids(Self.search("fuondatoin")) == [2, 3])
        #expect(Self.search("ptoetr") == [])
        // Fewer than four characters: no typo.
        #expect(Self.search("dne") == [])
        // A typo in an author word.
        #expect(Self.search("asimvo") == [SearchHit(item: 2, score: 10), SearchHit(item: 3, score: 10)])
    }

    @Test func diacriticsFold() {
        #expect(Self.ids(Self.search("miserables")) == [4])
        #expect(Self.ids(Self.search("MISÉRABLES")) == [4])
        #expect(Self.ids(Self.search("garcia marquez")) == [5])
        #expect(Self.ids(Self.search("anos soledad")) == [5])
        #expect(Self.ids(Self.search("strasse")) == [6])
        #expect(Self.ids(Self.search("Straße")) == [6])
        // A combining accent folds like the precomposed letter.
        #expect(Self.ids(Self.search("Mise\u{301}rables")) == [4])
    }

    @Test func isbnWithAndWithoutHyphens() {
        #expect(Self.search("978-0-306-40615-7") == [SearchHit(item: 10, score: 1000)])
        #expect(Self.search("9780306406157") == [SearchHit(item: 10, score: 1000)])
        #expect(Self.search("9780140444308") == [SearchHit(item: 4, score: 1000)])
        #expect(Self.search("0553293370") == [SearchHit(item: 3, score: 1000)])
        // The start of an ISBN, from six characters.
        #expect(Self.search("978-0-553") == [SearchHit(item: 2, score: 500)])
        #expect(Self.ids(Self.search("978044")) == [1])
        #expect(Self.search("97807") == [])
        // Not the middle of one.
        #expect(Self.search("0306406157") == [])
    }

    @Test func rankingOrder() {
        let index = Self.index([
            (1, "Potters at work", "", ""),  // prefix in title: 45
            (2, "Pottery", "Ann Potter", ""),  // exact author 50 beats title prefix
            (3, "Harry Potter", "", ""),  // exact title: 65
            (4, "Gardens", "Beatrix Potter", ""),  // exact author: 50
            (5, "The Pottre", "", ""),  // typo in title: 25
            (6, "Potter", "", ""),  // exact title: 65
            (7, "Moss", "Pottre", ""),  // typo in author: 10
        ])
        #expect(index.search("potter", limit: 10).map { "\($0.item):\($0.score)" } == ["3:65", "6:65", "2:50", "4:50", "1:45", "5:25", "7:10"])
        // Several words add up; all in the title earns the bonus.
        let pair = Self.index([
            (1, "Harry", "Potter", ""),
            (2, "Harry Potter", "", ""),
            (3, "Harrison Potter", "", ""),
        ])
        #expect(pair.search("harry potter", limit: 10).map { "\($0.item):\($0.score)" } == ["2:125", "1:110"])
        #expect(pair.search("harr potter", limit: 10).map { "\($0.item):\($0.score)" } == ["2:105", "3:105", "1:90"])
    }

    @Test func paginationWalksTheWholeRanking() {
        var index = CatalogIndex()
        for id in 1...60 as ClosedRange<UInt64> {
            let title = ["ocean", "oceans", "ocean tide", "tides", "oceanic"][Int(id % 5)]
            index.upsert(ItemID(id), title: title, author: id % 3 == 0 ? "Oceane" : "Marin", isbn: "")
        }
        let all = index.search("ocean", limit: 101)
        #expect(all.count == 52)
        for limit in [1, 2, 3, 7, 48, 100] {
            var walked: [SearchHit] = []
            var cursor: SearchCursor?
            while true {
                let page = index.search("ocean", after: cursor, limit: limit)
                walked += page
                guard page.count == limit, let last = page.last else { break }
                cursor = SearchCursor(after: last)
            }
            #expect(walked == all, "limit \(limit)")
        }
    }

    @Test func upsertReplacesText() {
        var index = Self.index([(1, "Old Title", "Some One", "9780306406157"), (2, "Other", "", "")])
        index.upsert(ItemID(1), title: "New Name", author: "Some One", isbn: "0306406152")
        #expect(index.search("old", limit: 10) == [])
        #expect(index.search("title", limit: 10) == [])
        #expect(index.search("new name", limit: 10) == [SearchHit(item: 1, score: 125)])
        #expect(index.search("9780306406157", limit: 10) == [])
        #expect(index.search("0306406152", limit: 10) == [SearchHit(item: 1, score: 1000)])
        #expect(index.count == 2)
        #expect(index.invariantViolations() == [])
    }

    @Test func removeForgetsAndReturns() {
        var index = Self.index([(1, "Alpha", "", "9780306406157"), (2, "Alpha beta", "", "")])
        index.remove(ItemID(1))
        index.remove(ItemID(99))
        #expect(index.count == 1)
        #expect(Self.ids(index.search("alpha", limit: 10)) == [2])
        #expect(index.search("9780306406157", limit: 10) == [])
        index.upsert(ItemID(1), title: "Alpha again", author: "", isbn: "")
        #expect(Self.ids(index.search("alpha", limit: 10)) == [1, 2])
        #expect(index.invariantViolations() == [])
    }

    @Test func idsBelowTheLargestKeepIdOrder() {
        var index = Self.index([(10, "Same", "", ""), (30, "Same", "", "")])
        index.upsert(ItemID(20), title: "Same", author: "", isbn: "")
        index.upsert(ItemID(5), title: "Same", author: "", isbn: "")
        #expect(Self.ids(index.search("same", limit: 10)) == [5, 10, 20, 30])
        #expect(index.invariantViolations() == [])
        let loaded = CatalogIndex([30, 5, 20, 10].map { Self.item($0, title: "Same") } + [Self.item(5, title: "Other")])
        #expect(Self.ids(loaded.search("same", limit: 10)) == [10, 20, 30])
        #expect(Self.ids(loaded.search("other", limit: 10)) == [5])
        #expect(loaded.invariantViolations() == [])
    }

    @Test func limits() {
        // Nothing usable: no hits.
        #expect(Self.search("") == [])
        #expect(Self.search(" -- ,, ") == [])
        #expect(Self.library.search("dune", limit: 0) == [])
        // A page is clamped to hitsPerCallMax.
        var many = CatalogIndex()
        for id in 1...150 as ClosedRange<UInt64> { many.upsert(ItemID(id), title: "Common word", author: "", isbn: "") }
        #expect(many.search("common", limit: 1000).count == SearchLimits.hitsPerCallMax)
        // Words past the eighth are ignored.
        let nine = "harry potter and the philosopher stone rowling j unknownword"
        #expect(Self.ids(Self.search(nine)) == [7])
        // Query bytes past the limit are ignored.
        #expect(Self.ids(Self.search("dune" + String(repeating: " ", count: 300) + "unknownword")) == [1, 9])
        // A word longer than the word limit still matches itself, cut the same way.
        let long = String(repeating: "abcdefgh", count: 6)
        let longIndex = Self.index([(1, long + " tail", "", "")])
        #expect(Self.ids(longIndex.search(long, limit: 10)) == [1])
        #expect(Self.ids(longIndex.search(String(long.prefix(40)), limit: 10)) == [1])
    }

    @Test func mergeOfShardsEqualsOneIndex() {
        let items: [(UInt64, String, String, String)] = (1...40).map { id in
            (id, ["river", "rivers", "riverside", "rover", "the river"][Int(id % 5)], id % 4 == 0 ? "Rivera" : "Banks", "")
        }
        let whole = Self.index(items)
        let shards = (0..<3).map { shard in Self.index(items.filter { $0.0 % 3 == UInt64(shard) }) }
        var cursor: SearchCursor?
        for _ in 0..<20 {
            let expected = whole.search("river", after: cursor, limit: 4)
            let merged = CatalogIndex.merge(shards.map { $0.search("river", after: cursor, limit: 5) }, limit: 4)
            #expect(merged == expected)
            guard let last = expected.last else { break }
            cursor = SearchCursor(after: last)
        }
    }

    /// 9,000 removals of 12,000 items outnumber what is left, which compacts the index (slots,
    /// terms and the term pool); results still equal the reference's.
    @Test func compactionKeepsResults() {
        var index = CatalogIndex()
        var reference = CatalogSearchReference()
        func upsert(_ id: UInt64, _ title: String, _ author: String, _ isbn: String) {
            index.upsert(ItemID(id), title: title, author: author, isbn: isbn)
            reference.upsert(ItemID(id), title: title, author: author, isbn: isbn)
        }
        for id in 1...12_000 as ClosedRange<UInt64> { upsert(id, "Word\(id % 500) common", "Writer\(id % 70)", "978\(1_000_000_000 + id)") }
        for id in 1...12_000 as ClosedRange<UInt64> where id % 4 != 0 {
            index.remove(ItemID(id))
            reference.remove(ItemID(id))
        }
        for id in stride(from: UInt64(4), through: 12_000, by: 8) { upsert(id, "Changed title number \(id)", "Writer\(id % 70)", "") }
        #expect(index.count == 3000)
        #expect(index.invariantViolations() == [])
        for query in ["common", "word7 common", "word12", "changed numb", "writer7", "wrtier12", "9781000000008", "97810000001"] {
            #expect(index.search(query, limit: 101) == reference.page(query, after: nil, limit: 101), "\(query)")
        }
        #expect(index.memoryBytes > 0)
    }

    /// Two common words that rarely meet: most candidates of the rarer one fail on the other,
    /// which makes the search build its candidate filter; results still equal the reference's.
    @Test func wordsThatRarelyMeet() {
        var index = CatalogIndex()
        var reference = CatalogSearchReference()
        for id in 1...3000 as ClosedRange<UInt64> {
            let title = id % 997 == 0 ? "alpha beta" : id % 2 == 0 ? "alpha gamma \(id % 7)" : "beta delta \(id % 5)"
            let author = id % 13 == 0 ? "Beta" : "Writer"
            index.upsert(ItemID(id), title: title, author: author, isbn: "")
            reference.upsert(ItemID(id), title: title, author: author, isbn: "")
        }
        for query in ["alpha beta", "beta alpha", "alpha bet", "alpah beta", "gamma delta", "alpha beta writer"] {
            var cursor: SearchCursor?
            for _ in 0..<4 {
                let expected = reference.page(query, after: cursor, limit: 3)
                #expect(index.search(query, after: cursor, limit: 3) == expected, "\(query)")
                guard let last = expected.last else { break }
                cursor = SearchCursor(after: last)
            }
        }
    }

    /// A one-word prefix over hundreds of terms: dense, it is read by walking the items; when its
    /// items all come late, the walk finds too few and the lists take over. Every page still
    /// equals the reference's.
    @Test(arguments: [false, true])
    func shortPrefixOverManyTerms(clustered: Bool) {
        var index = CatalogIndex()
        var reference = CatalogSearchReference()
        for id in 1...4000 as ClosedRange<UInt64> {
            let prefixed = clustered ? id > 3850 : id % 3 != 0
            let title = prefixed ? "pa\(id % 300)x volume" : "zz\(id % 7)"
            let author = id % 11 == 0 ? "Pablo" : "Writer"
            index.upsert(ItemID(id), title: title, author: author, isbn: "")
            reference.upsert(ItemID(id), title: title, author: author, isbn: "")
        }
        for query in ["p", "pa", "pa1", "w"] {
            var cursor: SearchCursor?
            for _ in 0..<6 {
                let expected = reference.page(query, after: cursor, limit: 20)
                #expect(index.search(query, after: cursor, limit: 20) == expected, "\(query) after \(String(describing: cursor))")
                guard expected.count == 20, let last = expected.last else { break }
                cursor = SearchCursor(after: last)
            }
        }
    }

    static func item(_ id: UInt64, title: String) -> Item {
        Item(id: ItemID(id), isbn: "", title: title, author: "", publisher: "", year: 2000, type: .book, status: .active, totalCopies: 1, availableCopies: 1)
    }
}
