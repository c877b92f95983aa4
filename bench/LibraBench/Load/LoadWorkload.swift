import ArgumentParser
import Engine
import Foundation
import LibraClient
import LibraProtocol

/// `libra-bench load`: the checkout-cycle workload of the design against a running server.
struct LoadWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive checkout cycles against a running server; progress each second, one JSON line at the end.",
        discussion: """
            A cycle returns the member's oldest loan when the member is at the limit, then checks out a random \
            item. Members are split between connections, so connections never conflict on a member. Each \
            connection keeps --in-flight frames outstanding, each frame carrying --batch cycles. Latency is per \
            frame, from send to durable answer (HdrHistogram). With --setup, items (3 copies each) and members \
            are created first; otherwise ids 1...--items and 1...--members must exist.
            """
    )

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Binary protocol port.") var port = 7654
    @Option(help: "Token (env LIBRA_TOKEN).") var token: String = ProcessInfo.processInfo.environment["LIBRA_TOKEN"] ?? ""
    @Option(help: "Connections.") var connections = 64
    @Option(help: "Client threads the connections are shared out over (each with its own epoll set).") var threads = 1
    @Option(name: .customLong("in-flight"), help: "Frames outstanding per connection.") var inFlight = 1
    @Option(help: "Cycles per frame.") var batch = 1
    @Option(help: "Seconds to measure.") var duration = 10.0
    @Option(help: "Seconds to run before measuring.") var warmup = 2.0
    @Option(help: "Items in the dataset (ids 1...items).") var items = 200_000
    @Option(help: "Members in the dataset (ids 1...members).") var members = 60_000
    @Option(name: .customLong("loan-limit"), help: "Loans a member holds before a cycle returns one (the tier's limit).") var loanLimit = 5
    @Flag(help: "Create the items and members first.") var setup = false
    @Option(help: "Random seed (default: drawn at random and printed, so that a rerun against the same server does not replay the same items; give it to replay a run).") var seed: UInt64?

    func validate() throws {
        guard !token.isEmpty else { throw ValidationError("give a token: --token or LIBRA_TOKEN") }
        guard (1...4096).contains(connections), (1...256).contains(inFlight), (1...2048).contains(batch) else { throw ValidationError("connections 1...4096, in-flight 1...256, batch 1...2048") }
        guard (1...64).contains(threads), threads <= connections else { throw ValidationError("threads 1...64, and no more than connections") }
        guard members >= connections * inFlight * batch else { throw ValidationError("need at least connections × in-flight × batch members, so no two frames hold the same member") }
        guard items >= 1, duration > 0, warmup >= 0 else { throw ValidationError("items ≥ 1, duration > 0, warmup ≥ 0") }
    }

    func run() async throws {
        let client: LibraClient
        do {
            client = try await LibraClient.connect(host: host, port: port, token: token)
        } catch {
            progress("load: cannot connect to \(host):\(port): \(error)")
            throw ExitCode(1)
        }
        if setup { try await createDataset(client) }
        let held = try await currentLoans(client)
        await client.close()

        let seed = self.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        let stats = LoadStatistics()
        let workloads = (0..<connections).map { index in
            let mine = stride(from: index + 1, through: members, by: connections).map { MemberID(UInt64($0)) }
            return LoadCycles(
                settings: .init(token: token, members: mine, items: UInt64(items), loansPerMember: loanLimit, inFlight: inFlight, batch: batch, seed: seed &+ UInt64(index)),
                held: held)
        }
        let sockets: LoadSockets
        do {
            sockets = try LoadSockets(host: host, port: port, workloads: workloads, threads: threads)
        } catch {
            progress("load: \(error)")
            throw ExitCode(1)
        }
        progress("load: \(connections) connections × \(inFlight) in flight × \(batch) cycles per frame; seed \(seed); warm-up \(format(warmup, decimals: 1)) s")
        async let running: Void = sockets.run(stats: stats)
        // Leaving by a throw (a cancelled sleep) awaits `running`, which ends only when stopped.
        defer { sockets.stop() }
        try await Task.sleep(for: .milliseconds(Int(warmup * 1000)))
        stats.startRecording()
        let began = monotonicSeconds()
        var lastCycles = 0
        var perSecond: [Double] = []
        while monotonicSeconds() - began < duration {
            try await Task.sleep(for: .seconds(1))
            let now = stats.snapshot
            perSecond.append(Double(now.cycles - lastCycles))
            lastCycles = now.cycles
            progress("load: \(format(monotonicSeconds() - began, decimals: 0)) s  \(now.cycles) cycles  \(format(perSecond.last!)) cycles/s  p99 \(format(Double(now.latency.valueAtPercentile(99)) / 1000, decimals: 2)) ms")
        }
        let elapsed = monotonicSeconds() - began
        let final = stats.snapshot
        sockets.stop()
        await running

        let milliseconds = { (value: UInt64) in format(Double(value) / 1000, decimals: 3) }
        let errors = final.errors.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        print(
            "{\"workload\":\"load\",\"seed\":\(seed),\"connections\":\(connections),\"in_flight\":\(inFlight),\"batch\":\(batch),\"duration_s\":\(format(elapsed, decimals: 1)),"
                + "\"cycles_per_sec\":\(format(Double(final.cycles) / elapsed)),\"commands_per_sec\":\(format(Double(final.commands) / elapsed)),"
                + "\"frames_per_sec\":\(format(Double(final.frames) / elapsed)),\"mean_ms\":\(format(final.latency.mean / 1000, decimals: 3)),\"p50_ms\":\(milliseconds(final.latency.valueAtPercentile(50))),"
                + "\"p99_ms\":\(milliseconds(final.latency.valueAtPercentile(99))),\"p999_ms\":\(milliseconds(final.latency.valueAtPercentile(99.9))),"
                + "\"max_ms\":\(milliseconds(final.latency.max)),\"errors\":{\(errors)}}")
    }

    /// Items with 3 copies and members with far-off card expiry, in frames of 4,096 commands.
    private func createDataset(_ client: LibraClient) async throws {
        let expiry = CivilDate(year: 2099, month: 12, day: 31).daysSinceEpoch
        let isbns = ["978-0-306-40615-7", "0-306-40615-2", "978-3-16-148410-0", "0-19-853453-1"]
        let began = monotonicSeconds()
        for (what, count) in [("items", items), ("members", members)] {
            var done = 0
            while done < count {
                let n = min(4096, count - done)
                let requests = (done..<done + n).map { index in
                    what == "items"
                        ? Request(.createItem(ItemDraft(isbn: isbns[index % 4], title: "Title \(index)", author: "Author \(index % 5000)", publisher: "Press", year: 2000, type: .book, copies: 3)))
                        : Request(.registerMember(MemberDraft(email: "member\(index)@load.example", name: "Member \(index)", tier: "standard", cardExpiryDay: expiry)))
                }
                let outcomes = try await client.execute(requests)
                if let refusal = outcomes.lazy.compactMap(\.refusal).first { progress("load: setup refused: \(refusal)"); throw ExitCode(1) }
                done += n
            }
            progress("load: created \(count) \(what) (\(format(monotonicSeconds() - began, decimals: 1)) s)")
        }
    }

    /// The members' active loans, so cycles start from the server's state.
    private func currentLoans(_ client: LibraClient) async throws -> [MemberID: [LoanID]] {
        var held: [MemberID: [LoanID]] = [:]
        var next = 1
        while next <= members {
            let ids = (next..<min(members + 1, next + 4096)).map { MemberID(UInt64($0)) }
            let outcomes = try await client.execute(ids.map { Request(.getMember($0)) })
            for (id, outcome) in zip(ids, outcomes) {
                guard case .ok(.memberWithLoans(_, let loans)) = outcome else {
                    progress("load: member \(id) is missing (\(outcome.refusal?.description ?? "?")): use --setup or --members")
                    throw ExitCode(1)
                }
                if !loans.isEmpty { held[id] = loans.map(\.id).sorted() }
            }
            next += 4096
        }
        return held
    }
}
