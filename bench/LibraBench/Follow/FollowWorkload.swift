import ArgumentParser
import Engine
import Foundation
import LibraClient

/// `libra-bench follow`: how fast a follower of the event stream catches up. It subscribes with
/// the SDK from an LSN (by default the oldest the server keeps), reads until it has every event
/// committed when it started, and reports events and records per second.
struct FollowWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Read the event stream of a running server from an LSN up to its durable LSN; one JSON line at the end.",
        discussion: """
            The target is the durable LSN that GET /health reports at the start. Events are decoded by the SDK \
            (LibraClient.events(from:)) exactly as an application would receive them. Run it after `libra-bench \
            seed` to measure catching up on a long history (read back from the log segments).
            """
    )

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Binary protocol port.") var port = 7654
    @Option(name: .customLong("http-port"), help: "The server's HTTP port (for the durable LSN).") var httpPort = 8080
    @Option(help: "A token that may follow the stream (env LIBRA_TOKEN).") var token: String = ProcessInfo.processInfo.environment["LIBRA_TOKEN"] ?? ""
    @Option(help: "The LSN to start at (default: the oldest the server keeps).") var from: UInt64?

    func run() async throws {
        guard let health = ServerMemory.httpGet(host: host, port: httpPort, path: "/health"),
            let object = try? JSONSerialization.jsonObject(with: Data(health.utf8)) as? [String: Any], let target = (object["durable_lsn"] as? NSNumber)?.uint64Value
        else { throw ValidationError("cannot read the durable LSN from http://\(host):\(httpPort)/health") }
        let client = try await LibraClient.connect(host: host, port: port, token: token)
        var start = from ?? 1
        var events = 0
        var records = 0
        var began = monotonicSeconds()
        progress("follow: from LSN \(start) to \(target)")
        while true {
            do {
                var lastLSN: UInt64 = 0
                var lastReport = began
                for try await event in client.events(from: .lsn(start)) {
                    events += 1
                    if event.position.lsn != lastLSN {
                        records += 1
                        lastLSN = event.position.lsn
                    }
                    // The target record reached: the few events after this one in it do not change the rate.
                    if event.position.lsn >= target { break }
                    let now = monotonicSeconds()
                    if now - lastReport >= 1 {
                        progress("follow: LSN \(event.position.lsn) of \(target), \(events) events, \(format(Double(events) / (now - began))) events/s")
                        lastReport = now
                    }
                }
                break
            } catch LibraError.rejected(let refusal) where refusal.code == .historyUnavailable && from == nil {
                // The log before the older snapshot is gone: start at the oldest kept.
                guard let oldest = refusal.message.split(separator: " ").compactMap({ UInt64($0.trimmingCharacters(in: .punctuationCharacters)) }).last else { throw refusal }
                start = oldest
                began = monotonicSeconds()
                progress("follow: history starts at LSN \(oldest)")
            }
        }
        let seconds = monotonicSeconds() - began
        await client.close()
        print(
            #"{"workload":"follow","from":\#(start),"to":\#(target),"records":\#(records),"events":\#(events),"seconds":\#(format(seconds, decimals: 2)),"events_per_sec":\#(format(Double(events) / seconds)),"records_per_sec":\#(format(Double(records) / seconds))}"#
        )
    }
}
