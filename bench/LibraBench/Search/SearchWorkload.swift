import ArgumentParser
import Engine
import Foundation
import Histogram

/// `libra-bench search`: the catalog search index alone, in process. Builds an index of a
/// generated catalog item by item (as the engine would on item creation), then times mixed
/// queries one at a time.
struct SearchWorkload: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Catalog search index: build time, memory, query latency (HdrHistogram).",
        discussion: """
            Items get ids 1...--items in order, split over --shards indexes by id (as the engine places \
            them); a query asks every index for a page and one more hit and merges the pages. Queries: an \
            exact title word (25 %), a prefix of one, 1 to n-1 characters (20 %), a title word with one typo \
            (15 %), two words of one title, the second a prefix half the time (20 %), an author's surname or \
            full name (10 %), and the first 6 to 13 digits of an ISBN (10 %); words are drawn from random \
            items, so frequent words are queried often. A tenth of the queries also fetch their second page \
            with the cursor; each call is one latency sample. Then --changes random items get new text \
            (upsert of an existing id), each timed.
            """
    )

    @Option(help: "Items in the catalog.") var items = 1_000_000
    @Option(help: "Queries to time (after --warmup more).") var queries = 20_000
    @Option(help: "Queries run first and not timed.") var warmup = 2_000
    @Option(help: "Hits per page.") var limit = 20
    @Option(help: "Indexes the items are split over (one per shard).") var shards = 1
    @Option(help: "Distinct title words in the lexicon.") var lexicon = 50_000
    @Option(help: "Zipf exponent of word frequencies.") var zipf = 1.0
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: "After the queries, replace this many random items' text (new title, author and ISBN), each timed.") var changes = 10_000
    @Option(name: .customLong("show-slowest"), help: "Print this many of the slowest calls, with their queries.") var showSlowest = 0
    @Option(help: "Time these queries alone after building (100 calls of each of the first two pages) and print their figures.") var probe: [String] = []

    func validate() throws {
        guard items > 0, queries > 0, warmup >= 0, changes >= 0 else { throw ValidationError("items and queries must be positive") }
        guard SearchLimits.pageSizeRange.contains(limit) else { throw ValidationError("limit must be in \(SearchLimits.pageSizeRange)") }
        guard (1...Limits.shardCountMax).contains(shards) else { throw ValidationError("shards must be in 1...\(Limits.shardCountMax)") }
        guard lexicon >= 1000, zipf > 0 else { throw ValidationError("lexicon must be at least 1000 words and zipf positive") }
    }

    func run() throws {
        var random = SplitMix64(seed: seed)
        let itemCount = items
        progress("search: generating \(itemCount) items (lexicon \(lexicon) words, Zipf \(zipf))")
        let catalog = SyntheticCatalog(lexicon: lexicon, exponent: zipf, random: &random)
        var entries: [SyntheticCatalog.Entry] = []
        entries.reserveCapacity(itemCount)
        for index in 0..<itemCount { entries.append(catalog.entry(index, random: &random)) }

        let residentBefore = residentBytes()
        let buildStart = monotonicSeconds()
        var indexes = [CatalogIndex](repeating: CatalogIndex(), count: shards)
        var lastReport = buildStart
        for (offset, entry) in entries.enumerated() {
            let id = UInt64(offset + 1)
            indexes[Int(id % UInt64(shards))].upsert(ItemID(id), title: entry.title, author: entry.author, isbn: entry.isbn)
            if offset & 0xFFFF == 0, monotonicSeconds() - lastReport >= 1 {
                lastReport = monotonicSeconds()
                progress("search: \(offset) items indexed")
            }
        }
        let buildSeconds = monotonicSeconds() - buildStart
        let residentDelta = residentBytes() - residentBefore
        let indexBytes = indexes.reduce(0) { $0 + $1.memoryBytes }
        progress("search: built in \(format(buildSeconds, decimals: 2)) s (\(format(Double(itemCount) / buildSeconds)) items/s); index \(indexBytes / itemCount) bytes/item by capacity, resident +\(residentDelta / itemCount) bytes/item")

        for query in probe {
            var cursor: SearchCursor?
            for page in 1...2 {
                var times: [UInt64] = []
                var hits: [SearchHit] = []
                for _ in 0..<100 {
                    let start = monotonicNanoseconds()
                    hits = Self.page(indexes, query, after: cursor, limit: limit)
                    times.append(monotonicNanoseconds() - start)
                }
                times.sort()
                progress("search: probe \(query.debugDescription) page \(page): median \(Self.micros(times[50])) µs, min \(Self.micros(times[0])) µs, \(hits.count) hits, first \(hits.prefix(3))")
                guard hits.count > limit else { break }
                cursor = SearchCursor(after: hits[limit - 1])
            }
        }

        let mix = QueryMix(catalog: catalog, entries: entries)
        var latency = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
        var byKind: [QueryMix.Kind: Histogram<UInt64>] = [:]
        var hitsTotal = 0
        var samples = 0
        var slowest: [(nanoseconds: UInt64, query: String, page: Int, hits: Int)] = []
        let pageSize = limit
        for round in 0..<(warmup + queries) {
            let (kind, query) = mix.next(&random)
            let timed = round >= warmup
            var cursor: SearchCursor?
            for page in 0..<2 {
                let start = monotonicNanoseconds()
                let hits = Self.page(indexes, query, after: cursor, limit: pageSize)
                let elapsed = monotonicNanoseconds() - start
                if timed {
                    _ = latency.record(max(1, elapsed))
                    _ = byKind[kind, default: Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)].record(max(1, elapsed))
                    hitsTotal += hits.count
                    samples += 1
                    if showSlowest > 0 && (slowest.count < showSlowest || elapsed > slowest[slowest.count - 1].nanoseconds) {
                        slowest.append((elapsed, query, page + 1, hits.count))
                        slowest.sort { $0.nanoseconds > $1.nanoseconds }
                        if slowest.count > showSlowest { slowest.removeLast() }
                    }
                }
                // The page and one more: a next page exists; it starts after the page's last hit.
                guard page == 0, random.next() % 10 == 0, hits.count > pageSize else { break }
                cursor = SearchCursor(after: hits[pageSize - 1])
            }
        }
        for entry in slowest {
            progress("search: slow: \(Self.micros(entry.nanoseconds)) µs \(entry.query.debugDescription) page \(entry.page), \(entry.hits) hits")
        }
        for kind in QueryMix.Kind.allCases {
            guard let histogram = byKind[kind] else { continue }
            progress("search: \(kind.rawValue): \(histogram.totalCount) calls, p50 \(Self.micros(histogram.valueAtPercentile(50))) µs, p99 \(Self.micros(histogram.valueAtPercentile(99))) µs, max \(Self.micros(histogram.max)) µs")
        }
        progress("search: \(samples) calls, p50 \(Self.micros(latency.valueAtPercentile(50))) µs, p99 \(Self.micros(latency.valueAtPercentile(99))) µs, max \(Self.micros(latency.max)) µs, \(format(Double(hitsTotal) / Double(samples), decimals: 1)) hits per call")
        // Changes: an existing item gets new text, as an update would give it.
        var changeLatency = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
        for _ in 0..<changes {
            let id = 1 + random.next() % UInt64(itemCount)
            let entry = catalog.entry(Int(id), random: &random)
            let start = monotonicNanoseconds()
            indexes[Int(id % UInt64(shards))].upsert(ItemID(id), title: entry.title, author: entry.author, isbn: entry.isbn)
            _ = changeLatency.record(max(1, monotonicNanoseconds() - start))
        }
        if changes > 0 {
            progress("search: \(changes) changes, p50 \(Self.micros(changeLatency.valueAtPercentile(50))) µs, p99 \(Self.micros(changeLatency.valueAtPercentile(99))) µs, max \(Self.micros(changeLatency.max)) µs")
        }
        print(
            #"{"workload":"search","items":\#(itemCount),"shards":\#(shards),"calls":\#(samples),"build_seconds":\#(format(buildSeconds, decimals: 2)),"#
                + #""index_bytes_per_item":\#(indexBytes / itemCount),"resident_bytes_per_item":\#(residentDelta / itemCount),"#
                + #""p50_us":\#(Self.micros(latency.valueAtPercentile(50))),"p99_us":\#(Self.micros(latency.valueAtPercentile(99))),"max_us":\#(Self.micros(latency.max)),"#
                + #""mean_us":\#(format(latency.mean / 1000, decimals: 1)),"hits_per_call":\#(format(Double(hitsTotal) / Double(samples), decimals: 1)),"#
                + #""change_p50_us":\#(Self.micros(changeLatency.valueAtPercentile(50))),"change_p99_us":\#(Self.micros(changeLatency.valueAtPercentile(99)))}"#)
    }

    /// One page over all the indexes, as a coordinator would get it.
    static func page(_ indexes: [CatalogIndex], _ query: String, after cursor: SearchCursor?, limit: Int) -> [SearchHit] {
        if indexes.count == 1 { return indexes[0].search(query, after: cursor, limit: limit + 1) }
        return CatalogIndex.merge(indexes.map { $0.search(query, after: cursor, limit: limit + 1) }, limit: limit + 1)
    }

    static func micros(_ nanoseconds: UInt64) -> String { format(Double(nanoseconds) / 1000, decimals: 1) }

    /// This process's resident memory, from /proc/self/statm (0 where there is none).
    func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}

/// The queries of the benchmark, drawn from the catalog's own items.
struct QueryMix {
    enum Kind: String, CaseIterable {
        case exact, prefix, typo, twoWords = "two words", author, isbn
    }

    let catalog: SyntheticCatalog
    let entries: [SyntheticCatalog.Entry]

    func next(_ random: inout SplitMix64) -> (Kind, String) {
        let entry = entries[Int(random.next() % UInt64(entries.count))]
        let word = catalog.words[entry.titleWords[Int(random.next() % UInt64(entry.titleWords.count))]]
        let draw = random.next() % 100
        switch draw {
        case 0..<25:
            return (.exact, word)
        case 25..<45:
            guard word.count > 1 else { return (.exact, word) }
            return (.prefix, String(word.prefix(1 + Int(random.next() % UInt64(word.count - 1)))))
        case 45..<60:
            return (.typo, Self.typo(word, &random))
        case 60..<80:
            var second = catalog.words[entry.titleWords[Int(random.next() % UInt64(entry.titleWords.count))]]
            if random.next() % 2 == 0, second.count > 3 { second = String(second.prefix(3 + Int(random.next() % UInt64(second.count - 3)))) }
            return (.twoWords, word + " " + second)
        case 80..<90:
            let surname = catalog.surnames[entry.surname]
            return (.author, random.next() % 2 == 0 ? surname : entry.author)
        default:
            let digits = entry.isbn.filter(\.isNumber)
            return (.isbn, String(digits.prefix(6 + Int(random.next() % 8))))
        }
    }

    /// One edit (replace, insert, delete or swap) in a word of four characters or more.
    static func typo(_ word: String, _ random: inout SplitMix64) -> String {
        var characters = Array(word)
        guard characters.count >= 4 else { return word }
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        let at = Int(random.next() % UInt64(characters.count - 1))
        switch random.next() % 4 {
        case 0: characters[at] = letters[Int(random.next() % 26)]
        case 1: characters.insert(letters[Int(random.next() % 26)], at: at)
        case 2: characters.remove(at: at)
        default: characters.swapAt(at, at + 1)
        }
        return String(characters)
    }
}
