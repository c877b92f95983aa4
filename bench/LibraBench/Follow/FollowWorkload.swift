import ArgumentParser
import Engine
import Foundation
import LibraClient
import Synchronization

/// `libra-bench follow`: how fast a follower of the event stream catches up. It subscribes with
/// the SDK from an LSN (by default the oldest the server keeps), reads until it has the events
/// committed when it started, and reports events and records per second.
struct FollowWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Read the event stream of a running server from an LSN up to its durable LSN; one JSON line at the end.",
        discussion: """
            The target is the durable LSN that GET /health reports at the start; the run ends at the first event \
            of that record, or when no event came for --quiet seconds (the last records may hold none: reads are \
            logged too), and the time counts up to the last event received. Events are decoded by the SDK \
            (LibraClient.events(from:)) exactly as an application receives them. Run it after `libra-bench seed` \
            to measure catching up on a long history (read back from the log segments).
            """
    )

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Binary protocol port.") var port = 7654
    @Option(name: .customLong("http-port"), help: "The server's HTTP port (for the durable LSN).") var httpPort = 8080
    @Option(help: "A token that may follow the stream (env LIBRA_TOKEN).") var token: String = ProcessInfo.processInfo.environment["LIBRA_TOKEN"] ?? ""
    @Option(help: "The LSN to start at (default: the oldest the server keeps).") var from: UInt64?
    @Option(help: "Seconds without an event that end the run.") var quiet = 2.0

    struct Tally {
        var events = 0
        var records = 0
        var lastLSN: UInt64 = 0
        var lastEventAt = 0.0
        var failure: (any Error)?
        var done = false
    }

    func run() async throws {
        guard let health = ServerMemory.httpGet(host: host, port: httpPort, path: "/health"),
            let object = try? JSONSerialization.jsonObject(with: Data(health.utf8)) as? [String: Any], let target = (object["durable_lsn"] as? NSNumber)?.uint64Value
        else { throw ValidationError("cannot read the durable LSN from http://\(host):\(httpPort)/health") }
        let client = try await LibraClient.connect(host: host, port: port, token: token)
        var start = from ?? 1
        progress("follow: from LSN \(start) to \(target)")
        while true {
            let tally = Mutex(Tally())
            let began = monotonicSeconds()
            tally.withLock { $0.lastEventAt = began }
            let stream = client.events(from: .lsn(start))
            let consumer = Task {
                do {
                    for try await event in stream {
                        let reached = tally.withLock { tally -> Bool in
                            tally.events += 1
                            if event.position.lsn != tally.lastLSN {
                                tally.records += 1
                                tally.lastLSN = event.position.lsn
                            }
                            tally.lastEventAt = monotonicSeconds()
                            return event.position.lsn >= target
                        }
                        if reached { break }
                    }
                } catch {
                    tally.withLock { $0.failure = error }
                }
                tally.withLock { $0.done = true }
            }
            var lastReport = began
            while true {
                try await Task.sleep(for: .milliseconds(100))
                let (done, lastAt, events, lsn) = tally.withLock { ($0.done, $0.lastEventAt, $0.events, $0.lastLSN) }
                let now = monotonicSeconds()
                if done || now - lastAt >= quiet { break }
                if now - lastReport >= 1 {
                    progress("follow: LSN \(lsn) of \(target), \(events) events, \(format(Double(events) / (now - began))) events/s")
                    lastReport = now
                }
            }
            consumer.cancel()
            _ = await consumer.value
            let result = tally.withLock { $0 }
            if let failure = result.failure {
                // The log before the older snapshot is gone: start at the oldest kept.
                if from == nil, case LibraError.rejected(let refusal) = failure, refusal.code == .historyUnavailable,
                    let oldest = refusal.message.split(separator: " ").compactMap({ UInt64($0.trimmingCharacters(in: .punctuationCharacters)) }).last
                {
                    start = oldest
                    progress("follow: history starts at LSN \(oldest)")
                    continue
                }
                if case LibraError.cancelled = failure {} else { throw failure }
            }
            let seconds = max(result.lastEventAt - began, 1e-9)
            await client.close()
            print(
                #"{"workload":"follow","from":\#(start),"to":\#(target),"last_lsn":\#(result.lastLSN),"records":\#(result.records),"events":\#(result.events),"seconds":\#(format(seconds, decimals: 2)),"events_per_sec":\#(format(Double(result.events) / seconds)),"records_per_sec":\#(format(Double(result.records) / seconds))}"#
            )
            return
        }
    }
}
