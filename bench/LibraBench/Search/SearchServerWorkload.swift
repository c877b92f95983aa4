import ArgumentParser
import Engine
import Foundation
import Histogram
import LibraClient

/// `libra-bench search-server`: catalog search end to end. It loads a generated catalog into a
/// running (empty) server through the SDK, then times searches as a client sees them: one
/// caller, one call at a time, the same query mix as `libra-bench search`.
struct SearchServerWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search-server",
        abstract: "Load a generated catalog into a running server, then time search_catalog round trips; one JSON line at the end.",
        discussion: """
            The catalog and the queries are those of `libra-bench search` (same generator and seed). Items are \
            created in frames of 4,096 create_item commands; then --warmup searches (untimed: the first one \
            indexes every item created since the last search) and --queries timed ones, each a page of 20 \
            (a tenth also fetch their second page). One latency sample per call, HdrHistogram.
            """
    )

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Binary protocol port.") var port = 7654
    @Option(help: "An admin token (env LIBRA_TOKEN).") var token: String = ProcessInfo.processInfo.environment["LIBRA_TOKEN"] ?? ""
    @Option(help: "Items in the catalog.") var items = 1_000_000
    @Option(help: "Queries to time (after --warmup more).") var queries = 20_000
    @Option(help: "Queries run first and not timed.") var warmup = 2_000
    @Option(help: "Random seed.") var seed: UInt64 = 42

    func run() async throws {
        var random = SplitMix64(seed: seed)
        let catalog = SyntheticCatalog(lexicon: 50_000, exponent: 1.0, random: &random)
        var entries: [SyntheticCatalog.Entry] = []
        entries.reserveCapacity(items)
        for index in 0..<items { entries.append(catalog.entry(index, random: &random)) }
        let client = try await LibraClient.connect(host: host, port: port, token: token)
        let loadStart = monotonicSeconds()
        var created = 0
        for start in stride(from: 0, to: entries.count, by: 4096) {
            let frame = entries[start..<min(start + 4096, entries.count)].map { entry in
                Request(.createItem(ItemDraft(isbn: entry.isbn, title: entry.title, author: entry.author, publisher: "", year: 2000, type: .book, copies: 1)))
            }
            for outcome in try await client.execute(frame) {
                guard case .ok = outcome else { throw ValidationError("create_item refused: \(outcome)") }
            }
            created += frame.count
            if created % (64 * 4096) == 0 { progress("search-server: \(created) items created") }
        }
        let loadSeconds = monotonicSeconds() - loadStart
        progress("search-server: \(created) items in \(format(loadSeconds, decimals: 2)) s")

        let mix = QueryMix(catalog: catalog, entries: entries)
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        var firstSearchMillis = 0.0
        var hitsTotal = 0
        for round in 0..<(warmup + queries) {
            let (_, query) = mix.next(&random)
            var cursor: SearchCursor?
            for page in 0..<2 {
                let start = monotonicNanoseconds()
                let (hits, next) = try await client.searchCatalog(query, after: cursor, limit: 20)
                let elapsed = monotonicNanoseconds() - start
                if round == 0 && page == 0 { firstSearchMillis = Double(elapsed) / 1e6 }
                if round >= warmup {
                    _ = latency.record(max(1, elapsed))
                    hitsTotal += hits.count
                }
                guard page == 0, random.next() % 10 == 0, let next else { break }
                cursor = next
            }
        }
        await client.close()
        func micros(_ value: UInt64) -> String { format(Double(value) / 1000, decimals: 1) }
        print(
            #"{"workload":"search-server","items":\#(created),"load_seconds":\#(format(loadSeconds, decimals: 2)),"first_search_ms":\#(format(firstSearchMillis, decimals: 1)),"#
                + #""calls":\#(latency.totalCount),"p50_us":\#(micros(latency.valueAtPercentile(50))),"p99_us":\#(micros(latency.valueAtPercentile(99))),"#
                + #""p999_us":\#(micros(latency.valueAtPercentile(99.9))),"max_us":\#(micros(latency.max)),"hits_per_call":\#(format(Double(hitsTotal) / Double(max(1, latency.totalCount)), decimals: 1))}"#)
    }
}
