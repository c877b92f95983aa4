import Engine
import Testing
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// What recovery builds besides the replayed state: the search index after a snapshot, and the
/// reading of segments into one reused buffer.
@Suite struct ReplayTests {
    static func item(_ title: String, author: String = "A. Author") -> Request {
        Request(.createItem(ItemDraft(isbn: "9780306406157", title: title, author: author, publisher: "P", year: 2001, type: .book, copies: 1)))
    }

    static func searchTitles(_ database: Database, _ query: String) async throws -> [String] {
        let outcomes = try await database.execute([Request(.searchCatalog(query, after: nil, limit: 20))])
        guard case .ok(.searchResults(let hits, _)) = outcomes[0] else { Issue.record("search refused: \(outcomes[0])"); return [] }
        return hits.map(\.item.title).sorted()
    }

    /// The index is built in the background once the log after the snapshot is replayed, so it
    /// holds the items the log created and changed, not the snapshot's version of them.
    @Test func searchIndexBuiltAfterReplayHoldsTheLogsChanges() async throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let storage = FileSystemStorage(ioPath: .posix)
        var configuration = WALFixture.configuration(directory)
        configuration.snapshotIntervalSeconds = nil
        configuration.snapshotLogBytes = nil
        let first = try await Database.open(configuration, storage: storage, clock: ManualClock(WALFixture.start), log: WALFixture.quiet)
        _ = try await first.execute([Self.item("Signals of the Deep"), Self.item("Harbour Lights"), Self.item("Quiet Harbour")])
        try await first.snapshot()
        // After the snapshot, so only in the log: a new item, a changed title, a withdrawal.
        _ = try await first.execute([
            Self.item("Signals Reborn"), Request(.updateItem(ItemID(2), ItemChanges(title: "Signals at Dusk"))), Request(.withdrawItem(ItemID(1))),
        ])
        await first.close()

        let second = try await Database.open(configuration, storage: storage, clock: ManualClock(WALFixture.start), log: WALFixture.quiet)
        // Wait for the background builds, so that the search below reads their index rather
        // than one it builds itself.
        var waited = 0
        while await second.engine.shardsWithSearchIndex() < configuration.engine.shardCount, waited < 1_000 {
            try await Task.sleep(nanoseconds: 10_000_000)
            waited += 1
        }
        #expect(await second.engine.shardsWithSearchIndex() == configuration.engine.shardCount)
        #expect(try await Self.searchTitles(second, "signals") == ["Signals Reborn", "Signals at Dusk"])
        #expect(try await Self.searchTitles(second, "harbour") == ["Quiet Harbour"])
        await second.close()
    }

    /// An offline check replays without building a search index.
    @Test func verifyBuildsNoSearchIndex() async throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let storage = FileSystemStorage(ioPath: .posix)
        let database = try await Database.open(WALFixture.configuration(directory), storage: storage, clock: ManualClock(WALFixture.start), log: WALFixture.quiet)
        _ = try await database.execute([Self.item("Signals of the Deep")])
        try await database.snapshot()
        await database.close()
        var options = RecoveryOptions()
        options.buildsSearchIndex = false
        let engine = Engine(configuration: EngineConfiguration(shardCount: 2))
        _ = try await Recovery.recover(into: engine, directory: directory, storage: storage, options: options, log: WALFixture.quiet)
        try await Task.sleep(nanoseconds: 50_000_000)
        #expect(await engine.shardsWithSearchIndex() == 0)
    }

    @Test func readingIntoAReusedBuffer() throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let storage = FileSystemStorage(ioPath: .posix)
        try storage.createDirectory(directory)
        func file(_ name: String, _ bytes: [UInt8]) throws -> any StorageFile {
            let file = try storage.open(directory + "/" + name, create: true)
            try file.write(bytes, at: 0, sync: false)
            return file
        }
        let one = try file("one", Array(repeating: 1, count: 4096))
        let two = try file("two", (0..<4096).map { UInt8($0 % 251) })
        let short = try file("short", [7, 7, 7])
        defer { for handle in [one, two, short] { handle.close() } }

        var buffer: [UInt8] = []
        try one.read(at: 0, count: 4096, into: &buffer)
        #expect(buffer == Array(repeating: 1, count: 4096))
        // A copy taken before the next read keeps what it saw (the buffer is not written under it).
        let kept = buffer
        try two.read(at: 0, count: 4096, into: &buffer)
        #expect(buffer == (0..<4096).map { UInt8($0 % 251) })
        #expect(kept == Array(repeating: 1, count: 4096))
        // Fewer bytes than asked at the end of a file: the buffer holds just those.
        try two.read(at: 4090, count: 4096, into: &buffer)
        #expect(buffer == (4090..<4096).map { UInt8($0 % 251) })
        try short.read(at: 0, count: 3, into: &buffer)
        #expect(buffer == [7, 7, 7])
    }

    /// A long replay says how far it has come (here at every record), and a log of large batch
    /// records, more events than one replay chunk holds, comes back whole.
    @Test func replayReportsProgressAndBringsLargeRecordsBack() async throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let storage = FileSystemStorage(ioPath: .posix)
        var configuration = WALFixture.configuration(directory, segmentBytes: 32 << 20)
        configuration.snapshotIntervalSeconds = nil
        configuration.snapshotLogBytes = nil
        let first = try await Database.open(configuration, storage: storage, clock: ManualClock(WALFixture.start), log: WALFixture.quiet)
        // 80,000 events in 8 records: a chunk ends at 65,536 events, before the 2,048 records.
        for batch in 0..<8 { _ = try await first.execute((0..<10_000).map { Self.item("Volume \(batch)-\($0)") }) }
        for index in 0..<3 { _ = try await first.execute([Self.item("Pamphlet \(index)")]) }
        let expected = await first.engine.digest()
        await first.close()

        final class Lines: @unchecked Sendable { var lines: [String] = [] }
        let collected = Lines()
        let engine = Engine(configuration: configuration.engine)
        let (_, report) = try await Recovery.recover(
            into: engine, directory: directory, storage: storage, options: RecoveryOptions(buildsSearchIndex: false, progressIntervalSeconds: 0)
        ) { collected.lines.append($0) }
        #expect(await engine.digest() == expected)
        #expect(report.recordsReplayed == 11 && report.eventsReplayed >= 80_003)
        let progress = collected.lines.filter { $0.hasPrefix("recovery: replaying segment 1 of 1 (") }
        #expect(progress.count >= 8, "lines: \(collected.lines)")
        #expect(progress.last?.contains("11 records") == true, "lines: \(collected.lines)")
        #expect(await engine.invariantViolations().isEmpty)
    }
}
