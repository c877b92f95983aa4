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

    func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--data-dir", directory, "--port", "0", "--http-port", "0"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["LIBRA_ADMIN_TOKEN"] = token
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        let log = directory + "-server.log"
        if !FileManager.default.fileExists(atPath: log) { FileManager.default.createFile(atPath: log, contents: nil) }
        let handle = FileHandle(forWritingAtPath: log)!
        handle.seekToEndOfFile()
        process.standardError = handle
        try process.run()
        self.process = process
        var buffer = ""
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty {
                guard process.isRunning else { throw DrillError("the server exited with \(process.terminationStatus) while starting; see \(log)") }
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

    /// Sends `signal` and waits for the process to end.
    @discardableResult
    func stop(signal: Int32) -> Int32 {
        guard let process else { return -1 }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }
}

struct DrillError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
