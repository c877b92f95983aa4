import ArgumentParser
import Engine
import Foundation
import LibraProtocol
import LibraClient
import NIOCore
import NIOPosix

/// `libra-bench seed`: loads a generated library into a running server over the binary
/// protocol — the catalog and the members first, then years of loan history through
/// `import_loan` — and reports records per second and the server's resident memory.
struct SeedWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Load a generated library (items, members, loan history) into a running server; one JSON line at the end.",
        discussion: """
            minimal: 5,000 items, 1,000 members, about 2,250 loans over a year. high_scale: 200,000 items, 60,000 \
            members, about 4,000,000 loans over ten years. The dataset is a function of --seed and --until \
            (the day the history ends; today by default): popular titles and a dead long tail, heavy to \
            inactive members, seasons, about 12 % late returns. Frames of --batch commands go out on \
            --connections connections with --in-flight frames each. Records = items + members + loans (a \
            returned loan is one record: its import carries its return). The server should be empty: \
            members' e-mail addresses include the seed, so a second run with the same seed is refused \
            EMAIL_TAKEN. The server's resident memory comes from its /metrics (--http-port) or from \
            /proc/<pid>/status (--server-pid).
            """
    )

    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Binary protocol port.") var port = 7654
    @Option(name: .customLong("http-port"), help: "The server's HTTP port, to read its resident memory from /metrics (0: do not).") var httpPort = 8080
    @Option(name: .customLong("server-pid"), help: "The server's process id, to read its resident memory from /proc instead.") var serverPID: Int?
    @Option(help: "An admin token (env LIBRA_TOKEN).") var token: String = ProcessInfo.processInfo.environment["LIBRA_TOKEN"] ?? ""
    @Option(help: "minimal or high_scale.") var scenario = "minimal"
    @Option(help: "Connections.") var connections = 4
    @Option(name: .customLong("in-flight"), help: "Frames outstanding per connection.") var inFlight = 2
    @Option(help: "Commands per frame (at most 4,096).") var batch = 4096
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "The history ends at the start of this UTC day (YYYY-MM-DD; default today).") var until: String?
    @Option(help: "Seconds to wait after loading before reading the server's memory (sampling its peak meanwhile).") var settle = 3.0
    @Flag(name: .customLong("in-process"), help: "Run the dataset through an engine in this process instead (no log, no network): the engine's share of the cost.") var inProcess = false
    @Option(help: "Shards of the in-process engine (default: one per core).") var shards = EngineConfiguration.processorCount

    func validate() throws {
        guard inProcess || !token.isEmpty else { throw ValidationError("give an admin token: --token or LIBRA_TOKEN") }
        guard (1...Limits.shardCountMax).contains(shards) else { throw ValidationError("shards 1...\(Limits.shardCountMax)") }
        guard SeedScenario.named(scenario) != nil else { throw ValidationError("--scenario is minimal or high_scale") }
        guard (1...64).contains(connections), (1...64).contains(inFlight) else { throw ValidationError("connections 1...64, in-flight 1...64") }
        guard (1...ProtocolLimits.commandsPerFrameMax).contains(batch) else { throw ValidationError("batch 1...\(ProtocolLimits.commandsPerFrameMax)") }
        if let until, CivilDate(iso: until) == nil { throw ValidationError("--until is a date, YYYY-MM-DD") }
        guard settle >= 0 else { throw ValidationError("settle ≥ 0") }
    }

    func run() async throws {
        let scenario = SeedScenario.named(self.scenario)!
        let today = Int32(Date().timeIntervalSince1970 / 86_400)
        let endDay = until.flatMap { CivilDate(iso: $0)?.daysSinceEpoch } ?? today
        guard endDay <= today else {
            progress("seed: --until \(CivilDate(day: endDay)) is after today: the server refuses history in the future")
            throw ExitCode(1)
        }
        let catalog = SeedCatalog(scenario: scenario, seed: seed)
        guard SeedWire.verifyEncoding(item: catalog.itemDraft(0), member: catalog.memberDraft(0, expiryDay: endDay)), SeedWire.verifySkim() else {
            progress("seed: the hand-written command or answer layouts no longer match the codec")
            throw ExitCode(1)
        }
        describe(catalog, endDay: endDay)
        if inProcess {
            let (result, history) = await SeedInProcess.run(catalog: catalog, endDay: endDay, batch: batch, commandsPerBatch: 16_384, shards: shards)
            let refusedJSON = result.refused.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\"\($0.key.name)\":\($0.value)" }.joined(separator: ",")
            print(
                "{\"workload\":\"seed\",\"mode\":\"in_process\",\"scenario\":\"\(scenario.name)\",\"seed\":\(seed),\"shards\":\(shards),\"records\":\(result.records),"
                    + "\"loans\":\(history.produced),\"engine_seconds\":\(format(result.engineSeconds, decimals: 2)),\"catalog_seconds\":\(format(result.catalogSeconds, decimals: 2)),"
                    + "\"records_per_sec\":\(format(Double(result.records) / result.engineSeconds)),"
                    + "\"loans_per_sec\":\(format(Double(history.produced) / (result.engineSeconds - result.catalogSeconds))),\"refused\":{\(refusedJSON)}}")
            return
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let pump = SeedPump(items: scenario.items, members: scenario.members, commandsPerFrame: batch)
        var channels: [any Channel] = []
        do {
            for _ in 0..<connections {
                let handler = SeedConnection(pump: pump, token: token, inFlightMax: inFlight)
                let channel = try await ClientBootstrap(group: loop)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers([ByteToMessageHandler(FrameDecoder()), handler])
                        }
                    }
                    .connect(host: host, port: port).get()
                channels.append(channel)
            }
        } catch {
            progress("seed: cannot connect to \(host):\(port): \(error)")
            throw ExitCode(1)
        }

        let rssHTTPPort = httpPort > 0 ? httpPort : nil
        let began = monotonicSeconds()
        var peakRSS = 0
        let status = Status(pump: pump, loop: loop)
        // Phase 1: the catalog and the members.
        let catalogDone = try await loop.submit { pump.start(CatalogSource(catalog: catalog, expiryDay: endDay + 365), on: loop) }.get()
        let catalogSeconds = try await watch(catalogDone, status: status, began: began, phase: "catalog", peakRSS: &peakRSS, rssPort: rssHTTPPort) - began
        let (itemIDs, memberIDs, refusedCreates) = try await loop.submit { (pump.itemIDs, pump.memberIDs, pump.refused) }.get()
        guard refusedCreates.isEmpty else {
            progress("seed: creates refused \(Self.describe(refusedCreates)): seed an empty server (or another --seed)")
            throw ExitCode(1)
        }
        progress("seed: \(scenario.items) items and \(scenario.members) members in \(format(catalogSeconds, decimals: 2)) s")

        // Phase 2: the loan history.
        let source = LoanSource(history: SeedHistory(catalog: catalog, endDay: endDay), itemIDs: itemIDs, memberIDs: memberIDs)
        let loansBegan = monotonicSeconds()
        let loansDone = try await loop.submit { pump.start(source, on: loop) }.get()
        let finished = try await watch(loansDone, status: status, began: began, phase: "loans", peakRSS: &peakRSS, rssPort: rssHTTPPort)
        let (answered, refused) = try await loop.submit { (pump.answered, pump.refused) }.get()
        let history = try await loop.submit { source.history }.get()

        for channel in channels { try? await channel.close() }
        try? await group.shutdownGracefully()

        // The server may start a snapshot as the load ends (every 256 MiB of log by default):
        // its transient memory counts in the peak, sampled while settling.
        let settleEnd = monotonicSeconds() + settle
        while monotonicSeconds() < settleEnd {
            try await Task.sleep(for: .milliseconds(100))
            if let sample = ServerMemory.residentBytes(host: host, httpPort: rssHTTPPort, pid: serverPID) { peakRSS = max(peakRSS, sample) }
        }
        let rss = ServerMemory.residentBytes(host: host, httpPort: rssHTTPPort, pid: serverPID)
        if rss == nil { progress("seed: could not read the server's resident memory (give --http-port or --server-pid)") }
        peakRSS = max(peakRSS, rss ?? 0)

        let analytics = await Self.timeAnalytics(host: host, port: port, token: token, today: endDay)

        let seconds = finished - began
        let loanSeconds = finished - loansBegan
        let records = answered
        let refusedJSON = refused.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\"\($0.key.name)\":\($0.value)" }.joined(separator: ",")
        let returned = history.produced - history.active
        print(
            "{\"workload\":\"seed\",\"scenario\":\"\(scenario.name)\",\"seed\":\(seed),\"until\":\"\(CivilDate(day: endDay))\","
                + "\"items\":\(scenario.items),\"members\":\(scenario.members),\"loans\":\(history.produced),\"active_loans\":\(history.active),"
                + "\"late_returns\":\(history.late),\"late_share\":\(format(Double(history.late) / Double(max(1, returned)), decimals: 4)),\"fines_owed\":\(history.owed),"
                + "\"records\":\(records),\"records_per_sec\":\(format(Double(records) / seconds)),\"seconds\":\(format(seconds, decimals: 2)),"
                + "\"catalog_seconds\":\(format(catalogSeconds, decimals: 2)),\"loans_per_sec\":\(format(Double(history.produced) / loanSeconds)),"
                + "\"refused\":{\(refusedJSON)},\"server_rss_bytes\":\(rss.map(String.init) ?? "null"),\"server_rss_peak_bytes\":\(peakRSS > 0 ? String(peakRSS) : "null"),"
                + "\"analytics_ms\":{\(analytics)},\"connections\":\(connections),\"in_flight\":\(inFlight),\"batch\":\(batch)}")
        // The dataset is built to be accepted whole: a refusal means the server was not empty,
        // its clock is behind --until, or its policies differ.
        if !refused.isEmpty {
            progress("seed: the server refused \(Self.describe(refused))")
            throw ExitCode(1)
        }
    }

    /// Each analytics query on the loaded library, 21 times over the binary protocol: the median
    /// and the slowest answer in milliseconds, round trip (the answer waits for the log like any).
    static func timeAnalytics(host: String, port: Int, token: String, today: Int32) async -> String {
        guard let client = try? await LibraClient.connect(host: host, port: port, token: token) else {
            progress("seed: cannot connect to time the analytics")
            return ""
        }
        let queries: [(String, AnalyticsQuery)] = [
            ("summary", .summary), ("top_items", .topItems(limit: 10)), ("top_members", .topMembers(limit: 10)),
            ("daily_checkouts", .dailyCheckouts(fromDay: today - 365, toDay: today)), ("inventory", .inventory(limit: 10)),
        ]
        var fields: [String] = []
        for (name, query) in queries {
            var samples: [Double] = []
            for _ in 0..<21 {
                let began = monotonicSeconds()
                guard let outcomes = try? await client.execute([Request(.analytics(query))]), outcomes.first?.isOK == true else { break }
                samples.append((monotonicSeconds() - began) * 1000)
            }
            guard !samples.isEmpty else { continue }
            samples.sort()
            fields.append("\"\(name)\":[\(format(samples[samples.count / 2], decimals: 3)),\(format(samples.last!, decimals: 3))]")
        }
        await client.close()
        return fields.joined(separator: ",")
    }

    /// Reads the pump's counters from its event loop.
    struct Status: @unchecked Sendable {
        let pump: SeedPump
        let loop: any EventLoop

        func read() async throws -> (sent: Int, answered: Int, failure: String?) {
            try await loop.submit { (pump.sent, pump.answered, pump.failure) }.get()
        }
    }

    /// Waits for a phase, printing progress once a second (and sampling the server's memory);
    /// returns when the phase's last answer arrived.
    private func watch(_ done: EventLoopFuture<Void>, status: Status, began: Double, phase: String, peakRSS: inout Int, rssPort: Int?) async throws -> Double {
        let finished = LockedFlag()
        done.whenComplete { _ in finished.set(at: monotonicSeconds()) }
        var last = try await status.read().answered
        var lastTime = monotonicSeconds()
        while !finished.isSet {
            try await Task.sleep(for: .milliseconds(20))
            guard monotonicSeconds() - lastTime >= 1 || finished.isSet else { continue }
            let now = try await status.read()
            let elapsed = monotonicSeconds() - lastTime
            var line = "seed: \(format(monotonicSeconds() - began, decimals: 0)) s  \(phase)  \(now.answered) records  \(format(Double(now.answered - last) / elapsed)) records/s"
            if !finished.isSet, let rss = ServerMemory.residentBytes(host: host, httpPort: rssPort, pid: serverPID) {
                peakRSS = max(peakRSS, rss)
                line += "  server RSS \(rss >> 20) MiB"
            }
            progress(line)
            (last, lastTime) = (now.answered, monotonicSeconds())
        }
        do {
            try await done.get()
        } catch {
            progress("seed: \(error)")
            throw ExitCode(1)
        }
        return finished.setAt!
    }

    private func describe(_ catalog: SeedCatalog, endDay: Int32) {
        let scenario = catalog.scenario
        let weights = catalog.itemWeights.filter { $0 > 0 }.sorted(by: >)
        let total = weights.reduce(0, +)
        let topShare = weights.prefix(max(1, weights.count / 100)).reduce(0, +) / total
        let classes = SeedCatalog.Activity.allCases.map { activity in
            "\(activity.name) \(catalog.activity.filter { $0 == activity }.count)"
        }.joined(separator: ", ")
        progress(
            "seed: \(scenario.name), seed \(seed): \(scenario.items) items (\(scenario.items - weights.count) never borrowed; top title \(format(weights[0] / total * 100, decimals: 2)) % "
                + "of loans, top 1 % of titles \(format(topShare * 100, decimals: 0)) %; \(catalog.copies.reduce(0) { $0 + Int($1) }) copies), "
                + "\(scenario.members) members (\(classes)), ~\(scenario.loans) loans over \(scenario.historyDays) days up to \(CivilDate(day: endDay))")
    }

    private static func describe(_ refused: [ErrorCode: Int]) -> String {
        refused.map { "\($0.key.name) \($0.value)" }.sorted().joined(separator: ", ")
    }
}

/// Set once from a NIO callback, read from the waiting task.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var time: Double?

    var isSet: Bool { lock.withLock { time != nil } }
    /// When it was set (monotonic seconds).
    var setAt: Double? { lock.withLock { time } }
    func set(at time: Double) { lock.withLock { self.time = time } }
}
