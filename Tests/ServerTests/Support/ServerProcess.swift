import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A real `libra serve` process on free ports, in its own data directory. Tests talk to it as
/// any client would; `kill(SIGKILL)` and `start()` again on the same directory drill recovery.
final class ServerProcess: @unchecked Sendable {
    static let adminToken = "test-admin-token-0123456789"

    let directory: String
    let extraArguments: [String]
    let environment: [String: String]
    private(set) var process: Process?
    private(set) var protocolPort = 0
    private(set) var httpPort = 0
    private(set) var output: [String] = []
    private var outputPipe: Pipe?
    private var errorLog: FileHandle?

    init(arguments: [String] = [], environment: [String: String] = [:], directory: String? = nil) throws {
        self.directory = directory ?? Self.temporaryDirectory()
        self.extraArguments = arguments
        self.environment = environment
    }

    static func temporaryDirectory() -> String {
        let path = NSTemporaryDirectory() + "libra-e2e-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The `libra` executable built next to the test bundle (or LIBRA_BINARY).
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["LIBRA_BINARY"] { return path }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("libra").path
    }

    /// Starts the server and waits for its ready line (or its exit).
    func start(timeoutSeconds: Double = 60) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", "--data-dir", directory, "--port", "0", "--http-port", "0", "--snapshot-seconds", "0"] + extraArguments
        var environment = ProcessInfo.processInfo.environment
        environment["LIBRA_ADMIN_TOKEN"] = Self.adminToken
        for (key, value) in self.environment { environment[key] = value }
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        let errorPath = directory + "/server-stderr.log"
        FileManager.default.createFile(atPath: errorPath, contents: nil)
        let errorHandle = FileHandle(forWritingAtPath: errorPath)!
        errorHandle.seekToEndOfFile()
        process.standardError = errorHandle
        try process.run()
        self.process = process
        self.outputPipe = pipe
        self.errorLog = errorHandle
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var buffer = ""
        let handle = pipe.fileHandleForReading
        while Date() < deadline {
            let chunk = handle.availableData
            if chunk.isEmpty {
                if !process.isRunning { throw ServerProcessError("server exited with \(process.terminationStatus) before it was ready:\n\(stderrText)") }
                usleep(10_000)
                continue
            }
            buffer += String(decoding: chunk, as: UTF8.self)
            while let newline = buffer.firstIndex(of: "\n") {
                let line = String(buffer[..<newline])
                buffer = String(buffer[buffer.index(after: newline)...])
                output.append(line)
                if line.hasPrefix("ready:") {
                    let words = line.split(separator: " ")
                    protocolPort = Int(words[2].split(separator: ":").last!)!
                    httpPort = Int(words[4].split(separator: ":").last!)!
                    return
                }
            }
        }
        process.terminate()
        throw ServerProcessError("server not ready after \(timeoutSeconds) s:\n\(stderrText)")
    }

    var stderrText: String { (try? String(contentsOfFile: directory + "/server-stderr.log", encoding: .utf8)) ?? "" }

    /// Sends a signal and waits for the process to end; returns its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 30) -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        self.process = nil
        try? errorLog?.close()
        return process.terminationStatus
    }

    var isRunning: Bool { process?.isRunning ?? false }

    func removeDirectory() { try? FileManager.default.removeItem(atPath: directory) }

    deinit {
        if let process, process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

struct ServerProcessError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
