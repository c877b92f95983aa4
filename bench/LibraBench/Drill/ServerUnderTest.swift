import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A `libra serve` process the drill starts, kills and restarts on one data directory.
final class ServerUnderTest: @unchecked Sendable {
    let binary: String
    let directory: String
    let token: String
    let arguments: [String]
    private(set) var process: Process?
    private(set) var port = 0

    init(binary: String, directory: String, token: String, arguments: [String]) {
        self.binary = binary
        self.directory = directory
        self.token = token
        self.arguments = arguments
    }

    /// The `libra` executable next to this one, unless given.
    static func defaultBinary() -> String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("libra").path
    }

    /// The server's standard error, appended to across restarts.
    var logPath: String { directory + "-server.log" }
    /// Where the current process's part of the log begins.
    private var logOffset: UInt64 = 0

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--data-dir", directory, "--port", "0", "--http-port", "0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LIBRA_ADMIN_TOKEN"] = token
        // A crash prints its backtrace and ends at once: full symbolication of this binary can
        // take minutes on a small machine, and the drill would wait for it.
        if environment["SWIFT_BACKTRACE"] == nil { environment["SWIFT_BACKTRACE"] = "interactive=no,symbolicate=fast" }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        let log = logPath
        if !FileManager.default.fileExists(atPath: log) { _ = FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = FileHandle(forWritingAtPath: log)!
        logOffset = handle.seekToEndOfFile()
        process.standardError = handle
        try process.run()
        self.process = process
        var buffer = ""
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty {
                guard process.isRunning else { throw DrillError("the server exited with \(process.terminationStatus) while starting; \(logTail())") }
                usleep(10_000)
                continue
            }
            buffer += String(decoding: chunk, as: UTF8.self)
            if let line = buffer.split(separator: "\n").first(where: { $0.hasPrefix("ready:") }) {
                port = Int(line.split(separator: " ")[2].split(separator: ":").last!)!
                return
            }
        }
        throw DrillError("the server was not ready within 120 s; see \(log)")
    }

    /// How a process ended: `.exit` with its exit status, or `.uncaughtSignal` with the signal.
    struct Ending: Equatable {
        var reason: Process.TerminationReason
        var status: Int32
    }

    /// Sends `signal`, waits for the process to end and checks that it ended the way `expected`
    /// says. Throws, with the end of the server's log, when the server had already ended by
    /// itself, ended some other way, wrote a crash report, or did not end within `grace`
    /// seconds (it is then killed). A drill must not count a server that crashed as one it
    /// killed.
    func stop(signal: Int32, expecting expected: Ending, grace: Double = 30) throws {
        guard let process else { return }
        self.process = nil
        let pid = process.processIdentifier
        let endedBefore = !process.isRunning
        if !endedBefore { kill(pid, signal) }
        guard Self.waitForExit(process, seconds: grace) else {
            kill(pid, SIGKILL)
            _ = Self.waitForExit(process, seconds: 10)
            throw DrillError("the server (pid \(pid)) did not end within \(Int(grace)) s of signal \(signal) and was killed; \(logTail())")
        }
        let ending = Ending(reason: process.terminationReason, status: process.terminationStatus)
        let how = ending.reason == .exit ? "exited with status \(ending.status)" : "ended by signal \(ending.status)"
        if endedBefore {
            throw DrillError("the server (pid \(pid)) ended by itself before the drill's signal \(signal): it \(how); \(logTail())")
        }
        if let crash = crashLine() {
            throw DrillError("the server (pid \(pid)) reported a crash (\(crash)) and \(how); \(logTail())")
        }
        if ending != expected {
            throw DrillError("the server (pid \(pid)) \(how) after signal \(signal); \(logTail())")
        }
    }

    /// Polls: Foundation's `waitUntilExit` has no deadline.
    private static func waitForExit(_ process: Process, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// The current process's part of the log.
    private func currentLog() -> String {
        guard let handle = FileHandle(forReadingAtPath: logPath) else { return "" }
        defer { try? handle.close() }
        try? handle.seek(toOffset: logOffset)
        return String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
    }

    /// The first line of a crash report by the runtime, if the current process wrote one.
    private func crashLine() -> String? {
        currentLog().split(separator: "\n").first { $0.contains("Fatal error") || $0.contains("Program crashed") }.map(String.init)
    }

    private func logTail(lines: Int = 20) -> String {
        let tail = currentLog().split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        return "server log \(logPath), last lines:\n\(tail)"
    }
}

struct DrillError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
