import ArgumentParser
import Engine
import Foundation
import LibraClient
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// `libra-bench crash-drill`: kill -9 under load, restart, and prove nothing acknowledged was lost.
struct CrashDrill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-drill",
        abstract: "Kill a real server with SIGKILL under load, restart it, verify every acknowledged change; one JSON line at the end.",
        discussion: """
            Each cycle: workers run checkout cycles (return the oldest loan at the limit, check out a random \
            item) with idempotency keys and record every acknowledged change; the server is killed with SIGKILL \
            at a random moment (snapshots run every second, so some kills land during one); `libra verify` \
            recovers the directory offline and checks every invariant; the server restarts; every request that \
            was in flight at the kill is resent with its key (an idempotent retry must not apply it twice); then \
            every member's loans on the server must equal the record exactly: lost counts acknowledged changes \
            missing, violations counts anything else (extra or duplicated loans, wrong states, broken invariants).
            """
    )

    @Option(help: "Kill-and-restart cycles.") var cycles = 5
    @Option(help: "Concurrent workers (each owns its own members).") var workers = 8
    @Option(help: "Items (3 copies each).") var items = 300
    @Option(help: "Members.") var members = 200
    @Option(name: .customLong("kill-after-min"), help: "Earliest kill, seconds into a cycle.") var killAfterMin = 0.5
    @Option(name: .customLong("kill-after-max"), help: "Latest kill, seconds into a cycle.") var killAfterMax = 2.5
    @Option(name: .customLong("stall-seconds"), help: "Fail when the server answered nothing for this long before a kill.") var stallSeconds = 2.0
    @Option(help: "The libra executable (default: next to libra-bench).") var server: String?
    @Option(help: "The server's log I/O path: posix (its default), uring or auto.") var io = "posix"
    @Option(help: "Random seed.") var seed: UInt64 = UInt64(UInt32.random(in: 1...UInt32.max))
    @Flag(help: "Keep the data directory.") var keep = false

    func validate() throws {
        guard cycles >= 1, workers >= 1, items >= 1, members >= workers else { throw ValidationError("cycles ≥ 1, workers ≥ 1, items ≥ 1, members ≥ workers") }
        guard killAfterMin > 0, killAfterMax >= killAfterMin else { throw ValidationError("0 < kill-after-min ≤ kill-after-max") }
        guard stallSeconds > 0 else { throw ValidationError("--stall-seconds must be positive") }
        guard FileSystemStorage.Choice(rawValue: io) != nil else { throw ValidationError("--io must be \(FileSystemStorage.Choice.names)") }
    }

    func run() async throws {
        let directory = NSTemporaryDirectory() + "libra-drill-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        let token = "drill-token-" + String(seed)
        let process = ServerUnderTest(
            binary: server ?? ServerUnderTest.defaultBinary(), directory: directory, token: token,
            arguments: ["--snapshot-seconds", "1", "--snapshot-log-mib", "1", "--segment-mib", "4", "--io", io])
        progress("crash-drill: seed \(seed), data \(directory), \(cycles) cycles, \(workers) workers, log I/O \(io)")
        try process.start()
        var random = SplitMix64(seed: seed)
        var ledger = Ledger()
        do {
            let client = try await LibraClient.connect(port: process.port, token: token)
            try await setUp(client, ledger: &ledger)
            await client.close()
        }
        var violationsTotal = 0
        for cycle in 1...cycles {
            var configuration = ClientConfiguration()
            configuration.connections = min(workers, 4)
            configuration.retry = .never
            configuration.assignsIdempotencyKeys = false
            let client = try await LibraClient.connect(port: process.port, token: token, configuration: configuration)
            let killAfter = killAfterMin + Double(random.next() % 1000) / 1000 * (killAfterMax - killAfterMin)
            let before = ledger.acknowledged
            let cycleStarted = monotonicSeconds()
            let workerLedgers = ledger.split(workers: workers)
            let results = await withTaskGroup(of: WorkerResult.self) { group in
                for (index, part) in workerLedgers.enumerated() {
                    group.addTask { await Self.work(client: client, ledger: part, items: items, seed: seed &+ UInt64(cycle * 1000 + index), cycle: cycle, worker: index) }
                }
                group.addTask {
                    try? await Task.sleep(for: .milliseconds(Int(killAfter * 1000)))
                    do {
                        let killedAt = monotonicSeconds()
                        try process.stop(signal: SIGKILL, expecting: .init(reason: .uncaughtSignal, status: SIGKILL))
                        return WorkerResult(ledger: Ledger(), inFlight: nil, violations: 0, killedAt: killedAt)
                    } catch {
                        return WorkerResult(ledger: Ledger(), inFlight: nil, violations: 0, serverProblem: "\(error)")
                    }
                }
                var all: [WorkerResult] = []
                for await result in group { all.append(result) }
                return all
            }
            await client.close()
            if let problem = results.lazy.compactMap(\.serverProblem).first {
                throw DrillError("cycle \(cycle): \(problem)\n(data kept in \(directory))")
            }
            // A server that hangs (or stops serving) before the kill would otherwise count as
            // killed under load: the last answer must be recent when the kill comes.
            if let killedAt = results.lazy.compactMap(\.killedAt).first {
                let lastAnswer = results.compactMap(\.lastAnswerAt).max() ?? cycleStarted
                if killedAt - lastAnswer > stallSeconds {
                    throw DrillError(
                        "cycle \(cycle): the server answered nothing in the \(format(killedAt - lastAnswer, decimals: 1)) s before the kill "
                            + "(more than --stall-seconds \(format(stallSeconds, decimals: 1))): it stalled\n(data kept in \(directory))")
                }
            }
            var unknown: [[Request]] = []
            for result in results {
                ledger.merge(result.ledger)
                violationsTotal += result.violations
                if let inFlight = result.inFlight { unknown.append(inFlight) }
            }
            let verifyViolations = try runVerify(binary: process.binary, directory: directory)
            violationsTotal += verifyViolations
            try process.start()
            let check = try await LibraClient.connect(port: process.port, token: token)
            // Idempotent retries: what was in flight at the kill is resent with its keys.
            for requests in unknown {
                let outcomes = try await check.execute(requests)
                violationsTotal += ledger.record(requests, outcomes)
            }
            let (lost, wrong) = try await compare(check, ledger: ledger)
            violationsTotal += wrong
            await check.close()
            progress(
                "crash-drill: cycle \(cycle): killed after \(format(killAfter, decimals: 2)) s, \(ledger.acknowledged - before) changes acknowledged, "
                    + "\(unknown.count) in flight resent, lost \(lost), violations \(wrong + verifyViolations)")
            if lost > 0 || wrong + verifyViolations > 0 {
                ledger.lost += lost
            }
        }
        do {
            // The server's own graceful shutdown may take 30 s; then it closes the log.
            try process.stop(signal: SIGTERM, expecting: .init(reason: .exit, status: 0), grace: 45)
        } catch {
            progress("crash-drill: \(error)")
            violationsTotal += 1
        }
        violationsTotal += try runVerify(binary: process.binary, directory: directory)
        if !keep {
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.removeItem(atPath: directory + "-server.log")
        }
        print("{\"cycles\":\(cycles),\"acknowledged\":\(ledger.acknowledged),\"lost\":\(ledger.lost),\"violations\":\(violationsTotal),\"seed\":\(seed)}")
        if ledger.lost > 0 || violationsTotal > 0 { throw ExitCode(1) }
    }

    private func setUp(_ client: LibraClient, ledger: inout Ledger) async throws {
        let expiry = CivilDate(year: 2099, month: 12, day: 31).daysSinceEpoch
        let isbns = ["978-0-306-40615-7", "0-306-40615-2", "978-3-16-148410-0", "0-19-853453-1"]
        let itemRequests = (0..<items).map {
            Request(.createItem(ItemDraft(isbn: isbns[$0 % 4], title: "Drill \($0)", author: "A", publisher: "P", year: 2000, type: .book, copies: 3)))
        }
        let memberRequests = (0..<members).map {
            Request(.registerMember(MemberDraft(email: "drill\($0)@example.org", name: "Drill \($0)", tier: "standard", cardExpiryDay: expiry)))
        }
        for chunk in stride(from: 0, to: itemRequests.count, by: 4096) { _ = try await client.execute(Array(itemRequests[chunk..<min(chunk + 4096, itemRequests.count)])) }
        for chunk in stride(from: 0, to: memberRequests.count, by: 4096) {
            let outcomes = try await client.execute(Array(memberRequests[chunk..<min(chunk + 4096, memberRequests.count)]))
            for outcome in outcomes {
                guard case .ok(.member(let member)) = outcome else { throw DrillError("setup refused: \(outcome)") }
                ledger.members[member.id] = MemberLedger()
            }
        }
    }

    struct WorkerResult: Sendable {
        var ledger: Ledger
        var inFlight: [Request]?
        var violations: Int
        /// Set by the task that kills the server when the server did not end as killed.
        var serverProblem: String? = nil
        /// When the worker's last request was answered (monotonic seconds; nil: none was).
        var lastAnswerAt: Double? = nil
        /// Set by the task that kills the server: when it sent SIGKILL.
        var killedAt: Double? = nil
    }

    /// Runs cycles for the worker's members until the connection drops.
    static func work(client: LibraClient, ledger: Ledger, items: Int, seed: UInt64, cycle: Int, worker: Int) async -> WorkerResult {
        var ledger = ledger
        var random = SplitMix64(seed: seed)
        let mine = ledger.members.keys.sorted()
        guard !mine.isEmpty else { return WorkerResult(ledger: ledger, inFlight: nil, violations: 0) }
        var violations = 0
        var step = 0
        var lastAnswerAt: Double?
        while true {
            step += 1
            let member = mine[Int(random.next() % UInt64(mine.count))]
            var requests: [Request] = []
            let active = ledger.members[member]!.active
            if active.count >= 5 { requests.append(Request(.returnLoan(active[0]), idempotencyKey: "drill-\(cycle)-\(worker)-\(step)-r")) }
            let item = ItemID(1 + random.next() % UInt64(items))
            requests.append(Request(.checkout(member: member, item: item), idempotencyKey: "drill-\(cycle)-\(worker)-\(step)-c"))
            do {
                let outcomes = try await client.execute(requests)
                lastAnswerAt = monotonicSeconds()
                violations += ledger.record(requests, outcomes)
            } catch {
                return WorkerResult(ledger: ledger, inFlight: requests, violations: violations, lastAnswerAt: lastAnswerAt)
            }
        }
    }

    /// Every member's loans on the server against the record: (lost, violations).
    private func compare(_ client: LibraClient, ledger: Ledger) async throws -> (Int, Int) {
        var lost = 0
        var wrong = 0
        for (member, expected) in ledger.members {
            var onServer: [LoanID: Loan] = [:]
            var after: LoanID?
            repeat {
                let page = try await client.memberLoans(member, after: after, limit: 1000)
                for loan in page.elements { onServer[loan.id] = loan }
                after = page.next
            } while after != nil
            for (id, record) in expected.loans {
                guard let loan = onServer[id] else {
                    progress("crash-drill: LOST: loan \(id) of member \(member)")
                    lost += 1
                    continue
                }
                if loan.item != record.item { wrong += 1; progress("crash-drill: loan \(id) has item \(loan.item), expected \(record.item)") }
                if record.returned && loan.isActive { lost += 1; progress("crash-drill: LOST: the return of loan \(id)") }
                if !record.returned && !loan.isActive { wrong += 1; progress("crash-drill: loan \(id) is returned but no return was acknowledged or in flight") }
            }
            for id in onServer.keys where expected.loans[id] == nil {
                wrong += 1
                progress("crash-drill: loan \(id) of member \(member) exists but was never acknowledged (a duplicate or a phantom)")
            }
        }
        return (lost, wrong)
    }

    /// `libra verify` on the directory: recovery offline plus every invariant. Returns violations.
    private func runVerify(binary: String, directory: String) throws -> Int {
        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: binary)
        verify.arguments = ["verify", "--data-dir", directory]
        let output = Pipe()
        verify.standardOutput = output
        verify.standardError = FileHandle.nullDevice
        try verify.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        verify.waitUntilExit()
        guard verify.terminationStatus == 0 else {
            progress("crash-drill: libra verify failed (\(verify.terminationStatus)): \(String(decoding: data, as: UTF8.self))")
            return 1
        }
        return 0
    }
}

struct MemberLedger: Sendable {
    var loans: [LoanID: (item: ItemID, returned: Bool)] = [:]
    var active: [LoanID] = []
}

/// What the clients were told: every acknowledged checkout and return.
struct Ledger: Sendable {
    var members: [MemberID: MemberLedger] = [:]
    var acknowledged = 0
    var lost = 0

    func split(workers: Int) -> [Ledger] {
        var parts = Array(repeating: Ledger(), count: workers)
        for (member, record) in members { parts[Int((member.rawValue - 1) % UInt64(workers))].members[member] = record }
        return parts
    }

    mutating func merge(_ other: Ledger) {
        for (member, record) in other.members { members[member] = record }
        acknowledged += other.acknowledged
    }

    /// Records a frame's answers; returns the number of answers no correct server gives here.
    mutating func record(_ requests: [Request], _ outcomes: [Outcome]) -> Int {
        var violations = 0
        for (request, outcome) in zip(requests, outcomes) {
            switch (request.command, outcome) {
            case (.checkout(let member, let item), .ok(.loan(let loan))):
                guard members[member]?.loans[loan.id] == nil else { continue }  // a retry answered with the first outcome
                members[member]?.loans[loan.id] = (item, false)
                members[member]?.active.append(loan.id)
                acknowledged += 1
            case (.returnLoan(let id), .ok(.loan(let loan))):
                guard members[loan.member]?.loans[id]?.returned == false else { continue }
                members[loan.member]?.loans[id]?.returned = true
                members[loan.member]?.active.removeAll { $0 == id }
                acknowledged += 1
            case (.checkout, .refused(let refusal)) where refusal.code == .noCopyAvailable || refusal.code == .alreadyHoldsItem:
                continue
            default:
                progress("crash-drill: unexpected answer \(outcome) to \(request.command)")
                violations += 1
            }
        }
        return violations
    }
}
