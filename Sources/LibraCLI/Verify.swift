import ArgumentParser
import Engine
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// Recovers a data directory offline, checks every invariant and prints one JSON line.
struct Verify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Recover a data directory offline, check every invariant, print one JSON line.",
        discussion: """
            Runs the same recovery as a start: the newest valid snapshot, then the log after it. A torn \
            final write is cut (and reported as torn_bytes), exactly as a start would cut it. Corruption \
            in the middle of the log is an error naming the file, offset and LSN. Progress goes to \
            stderr; stdout carries only the JSON line. Exits 1 when recovery fails or an invariant is broken.
            """
    )

    @Option(name: .customLong("data-dir"), help: "The data directory (env LIBRA_DATA_DIR).")
    var dataDirectory: String = environment("LIBRA_DATA_DIR") ?? "./data"

    @Flag(name: .customLong("truncate-corrupt-log"), help: "Discard a corrupt log record and everything after it (logged; loses those records).")
    var truncateCorruptLog = false

    func run() async throws {
        let storage = FileSystemStorage(ioPath: .posix)
        let report: VerifyReport
        do {
            report = try await VerifyReport.run(directory: dataDirectory, storage: storage, options: RecoveryOptions(truncateCorruptLog: truncateCorruptLog)) { line in
                standardError("libra verify: \(line)")
            }
        } catch {
            standardError("libra verify: \(error)")
            throw ExitCode(1)
        }
        print(report.jsonLine)
        for violation in report.violations.prefix(20) { standardError("libra verify: invariant broken: \(violation)") }
        if !report.violations.isEmpty { throw ExitCode(1) }
    }
}

func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

func standardError(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}
