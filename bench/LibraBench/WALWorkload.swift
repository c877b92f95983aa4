import ArgumentParser
import Engine
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// Checkout-cycle records through the real log on disk: many concurrent writers, each
/// appending one record and waiting until it is durable, as connections would.
struct WALWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wal", abstract: "Group-commit throughput of the write-ahead log on disk.")

    @Option(help: "Directory for the log (created; emptied first).") var dataDir = "./bench-data/wal"
    @Option(help: "Concurrent writers, one record in flight each.") var writers = 64
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "I/O path: posix (the server's default), uring or auto.") var io = "posix"
    @Option(help: "fsync mode: always or never (never is unsafe).") var fsync = "always"

    func validate() throws {
        guard (1...4096).contains(writers) else { throw ValidationError("writers must be in 1...4096") }
        guard FileSystemStorage.Choice(rawValue: io) != nil else { throw ValidationError("--io must be \(FileSystemStorage.Choice.names)") }
        guard FsyncMode(rawValue: fsync) != nil else { throw ValidationError("fsync must be always or never") }
    }

    func run() async throws {
        let storage = try makeStorage(io)
        try freshDirectory(dataDir)
        let writer = try LogWriter(
            storage: storage, configuration: LogWriter.Configuration(directory: dataDir, fsync: FsyncMode(rawValue: fsync)!),
            position: LogPosition(segment: nil, offset: 0, nextLSN: 1))
        // One checkout cycle: the oldest loan back, a new one out.
        let cycle = BatchRecord(
            firstSequence: 1, commandCount: 2, timestamp: Timestamp(rawValue: 1_763_700_000_000), nextItemID: 200_001, nextMemberID: 60_001, nextLoanID: 1_000_001,
            events: [
                .loanReturned(LoanID(999_000), member: 4_242, item: 123_456, returnedAt: Timestamp(rawValue: 1_763_700_000_000), fineCents: 0),
                .loanCreated(Loan(id: 1_000_000, item: 77_777, member: 4_242, itemType: .book, checkedOutAt: Timestamp(rawValue: 1_763_700_000_000), dueAt: Timestamp(rawValue: 1_764_900_000_000))),
            ],
            actors: ["a1b2c3d4e5f6"], sources: [EventSource(command: 0, actor: 0, eventCount: 1), EventSource(command: 1, actor: 0, eventCount: 1)]
        ).canonicalBytes
        progress("wal: \(writers) writers, io \(storage.ioPath.rawValue), fsync \(fsync), \(cycle.count)-byte records, \(duration) s")
        let start = monotonicSeconds()
        let deadline = start + duration
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<writers {
                group.addTask {
                    while monotonicSeconds() < deadline {
                        let lsn = try writer.append(cycle)
                        try await writer.waitDurable(lsn)
                    }
                }
            }
            group.addTask {
                var last = writer.statisticsSnapshot
                while monotonicSeconds() < deadline {
                    try await Task.sleep(nanoseconds: 1_000_000_000)
                    let now = writer.statisticsSnapshot
                    progress("\(format(monotonicSeconds() - start, decimals: 1)) s: \(now.records - last.records) records/s, \(now.syncs - last.syncs) fsyncs/s")
                    last = now
                }
            }
            try await group.waitForAll()
        }
        let elapsed = monotonicSeconds() - start
        writer.close()
        let stats = writer.statisticsSnapshot
        let syncs = max(stats.syncs, stats.writes)
        print(#"{"workload":"wal","io":"\#(storage.ioPath.rawValue)","fsync":"\#(fsync)","writers":\#(writers),"records_per_sec":\#(format(Double(stats.records) / elapsed)),"fsyncs_per_sec":\#(format(Double(stats.syncs) / elapsed)),"mean_group_records":\#(format(Double(stats.records) / Double(max(1, syncs)), decimals: 1)),"mean_fsync_ms":\#(format(stats.syncSecondsTotal / Double(max(1, stats.syncs)) * 1000, decimals: 3))}"#)
        try freshDirectory(dataDir)
    }
}

func makeStorage(_ io: String) throws -> FileSystemStorage {
    guard let choice = FileSystemStorage.Choice(rawValue: io) else { throw ValidationError("--io must be \(FileSystemStorage.Choice.names)") }
    do {
        return try FileSystemStorage.choosing(choice) { progress("warning: \($0)") }
    } catch {
        throw ValidationError(error.description)
    }
}

/// Creates the directory, removing what a previous run left in it.
func freshDirectory(_ path: String) throws {
    guard !path.isEmpty, path != "/" else { throw ValidationError("refusing to empty \(path)") }
    _ = system("rm -rf '\(path)' && mkdir -p '\(path)'")
}
