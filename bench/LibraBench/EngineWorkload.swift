import ArgumentParser
import Engine
import Histogram
import WAL

/// The checkout-cycle workload, in process, with no I/O: seed the catalog and the members, then
/// run cycles (return the member's oldest loan when at the limit, then check out a random item)
/// in batches for a fixed time.
struct EngineWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Checkout-cycle workload against the engine alone (no log, no network)."
    )

    @Option(help: "Catalog items.") var items = 200_000
    @Option(help: "Copies per item.") var copies: Int32 = 3
    @Option(help: "Members.") var members = 60_000
    @Option(help: "Shards (default: one per core).") var shards = EngineConfiguration.processorCount
    @Option(help: "Cycles per batch (each cycle is one or two commands).") var batch = 2048
    @Option(help: "Commands of a wave sent to the shards in one hop (the engine's slotsPerHop).") var slotsPerHop = EngineConfiguration.slotsPerHopDefault
    /// Batches submitted before the first is read back: the driver builds the next batch while
    /// the engine runs the previous one, as a server's connections prepare requests while the
    /// engine runs. 1: one batch at a time.
    @Option(help: "Batches submitted and not yet answered (1: build the next batch only after the previous answered).") var inFlight = 2
    @Option(help: "Seconds to run cycles for, after seeding.") var duration = 10.0
    /// A fixed amount of work, for instruction counts (callgrind) that compare across builds:
    /// a time-bounded run does a different number of commands each time.
    @Option(help: "Run exactly this many cycles instead of running for --duration.") var cycles: Int?
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: "Capture a snapshot (as the log's snapshots do) every this many seconds, to measure the pause it causes.") var snapshotEvery: Double?
    @Flag(help: "With --snapshot-every: only capture, and hold the capture for 1 s instead of merging it (the copy-on-write cost alone).")
    var captureOnly = false

    func validate() throws {
        guard items > 0, members > 0, copies > 0 else { throw ValidationError("items, members and copies must be positive") }
        guard (1...Limits.shardCountMax).contains(shards) else { throw ValidationError("shards must be in 1...\(Limits.shardCountMax)") }
        guard batch >= 1, batch * 2 <= Limits.commandsPerBatchMax else { throw ValidationError("batch must be in 1...\(Limits.commandsPerBatchMax / 2)") }
        guard (1...Limits.commandsPerBatchMax).contains(slotsPerHop) else { throw ValidationError("slots-per-hop must be in 1...\(Limits.commandsPerBatchMax)") }
        guard (1...8).contains(inFlight) else { throw ValidationError("in-flight must be in 1...8") }
        // A member takes part in one cycle among the batches in flight (see `run`).
        guard members >= batch * inFlight else {
            throw ValidationError("members (\(members)) must be at least batch × in-flight (\(batch * inFlight)): a member is in one batch in flight at a time")
        }
        guard duration > 0 else { throw ValidationError("duration must be positive") }
        guard (cycles ?? 0) >= 0 else { throw ValidationError("cycles must not be negative") }
    }

    func run() async throws {
        // As `libra serve` does: each batch's arrays are allocated afresh (a batch in flight
        // still holds the previous ones), and freed ones should not be faulted in again.
        Allocator.keepFreedMemory()
        let engine = Engine(configuration: EngineConfiguration(shardCount: shards, slotsPerHop: slotsPerHop))
        let limit = Int(Policy.standard.maxLoans)
        progress("seeding \(items) items x \(copies) copies and \(members) members on \(shards) shards")
        let seedStart = monotonicSeconds()
        try await seedCatalog(engine)
        let seedSeconds = monotonicSeconds() - seedStart
        progress("seeded \(items + members) records in \(format(seedSeconds, decimals: 2)) s (\(format(Double(items + members) / seedSeconds)) records/s)")

        // Members and items are drawn from streams of their own, so that members can be drawn
        // ahead (see `MemberDraws`) without changing which items the cycles take.
        var itemRandom = SplitMix64(seed: seed)
        // Each member's loans, oldest first, and the last round that took the member (a member
        // is in at most one batch in flight): the driver's own bookkeeping should cost little
        // next to the engine.
        // Member ids index the rings directly (slot 0 unused).
        precondition(limit <= MemberLoanRings.lineRingSlots, "the driver's loan rings hold \(MemberLoanRings.lineRingSlots) loans")
        let rings = MemberLoanRings(entries: members + 1, ringSlots: MemberLoanRings.lineRingSlots)
        var memberDraws = MemberDraws(seed: seed ^ 0x9e37_79b9_7f4a_7c15, members: members, rings: rings)
        var round: UInt32 = 0
        var commands = 0
        var slowestBatch = 0.0
        // Batch durations in microseconds, up to a minute: the pauses a snapshot causes show in
        // the tail, not in the mean.
        var batchMicros = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var batchCount = 0
        var snapshots = 0
        var nextSnapshot = monotonicSeconds() + (snapshotEvery ?? 0)
        var refusals: [ErrorCode: Int] = [:]
        /// Batches submitted and not yet read back, oldest first.
        var running: [RunningBatch] = []

        // Options read through their property wrappers cost a generic metadata look-up each
        // time: read them once, outside the loop that builds batches.
        let itemCount = UInt64(items)
        let cyclesPerBatch = batch
        let batchesInFlight = inFlight
        let start = monotonicSeconds()
        var lastReport = start
        var lastCommands = 0
        var cyclesLeft = cycles ?? Int.max

        /// Reads the oldest batch's outcomes into the members' loan rings.
        func readBack(_ batch: RunningBatch) async {
            let result = await batch.task.value
            let seconds = monotonicSeconds() - batch.submittedAt
            slowestBatch = max(slowestBatch, seconds)
            batchMicros.record(UInt64(min(max(seconds * 1e6, 0), 60e6)))
            batchCount += 1
            commands += batch.cycleMembers.count
            for (index, outcome) in result.outcomes.enumerated() {
                switch outcome {
                case .ok(.loan(let loan)) where batch.cycleMembers[index] > 0:
                    rings.pushNewest(loan.id, member: batch.cycleMembers[index])
                case .ok:
                    break
                case .refused(let refusal):
                    refusals[refusal.code, default: 0] += 1
                }
            }
        }

        while cyclesLeft > 0 {
            let now = monotonicSeconds()
            if cycles == nil, now - start >= duration { break }
            if now - lastReport >= 1 {
                progress("\(format(now - start, decimals: 1)) s: \(format(Double(commands - lastCommands) / (now - lastReport))) commands/s")
                lastReport = now
                lastCommands = commands
            }
            round += 1
            var requests: [Request] = []
            requests.reserveCapacity(cyclesPerBatch * 2)
            // By request: the cycle's member, negative for the return that makes room.
            var cycleMembers: [Int] = []
            cycleMembers.reserveCapacity(cyclesPerBatch * 2)
            let batchCycles = min(cyclesPerBatch, cyclesLeft)
            cyclesLeft -= batchCycles
            for _ in 0..<batchCycles {
                // One cycle per member among the batches in flight, so that the driver knows
                // each member's loans when it builds the member's next cycle.
                var member = memberDraws.next()
                while rings.busyRound(member) != 0 && rings.busyRound(member) &+ UInt32(batchesInFlight) > round { member = memberDraws.next() }
                rings.setBusyRound(member, round)
                if rings.loanCount(member) >= limit {
                    requests.append(Request(.returnLoan(rings.popOldest(member: member))))
                    cycleMembers.append(-member)
                }
                requests.append(Request(.checkout(member: MemberID(UInt64(member)), item: ItemID(UInt64.random(in: 1...itemCount, using: &itemRandom)))))
                cycleMembers.append(member)
            }
            if let snapshotEvery, monotonicSeconds() >= nextSnapshot {
                nextSnapshot = monotonicSeconds() + snapshotEvery
                snapshots += 1
                if captureOnly {
                    Task.detached {
                        let capture = await engine.capture()
                        try? await Task.sleep(nanoseconds: 1_000_000_000)
                        withExtendedLifetime(capture) {}
                    }
                } else {
                    Task.detached { _ = await engine.snapshot() }
                }
            }
            // Each batch enters the engine after the previous one has run, so that a seed gives
            // the same run every time (two tasks may reach the engine in either order).
            let previous = running.last?.task
            let task = Task { [requests] in
                _ = await previous?.value
                return await engine.execute(requests)
            }
            running.append(RunningBatch(task: task, cycleMembers: cycleMembers, submittedAt: monotonicSeconds()))
            if running.count >= batchesInFlight { await readBack(running.removeFirst()) }
        }
        while !running.isEmpty { await readBack(running.removeFirst()) }
        let elapsed = monotonicSeconds() - start
        let rate = Double(commands) / elapsed
        let counts = await engine.counts()
        let violations = await engine.invariantViolations()
        guard violations.isEmpty else { throw ValidationError("invariants broken: \(violations.prefix(5))") }
        let refused = refusals.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.name)=\($0.value)" }.joined(separator: " ")
        progress("ran \(commands) commands in \(format(elapsed, decimals: 2)) s; active loans \(counts.activeLoans); refusals: \(refused.isEmpty ? "none" : refused); invariants hold")
        let p99 = Double(batchMicros.valueAtPercentile(99)) / 1000
        let p999 = Double(batchMicros.valueAtPercentile(99.9)) / 1000
        progress(
            "batches: \(batchCount), slowest \(format(slowestBatch * 1000, decimals: 1)) ms, p99 \(format(p99, decimals: 2)) ms, p99.9 \(format(p999, decimals: 2)) ms, mean \(format(elapsed / Double(max(1, batchCount)) * 1000, decimals: 2)) ms; snapshots captured: \(snapshots)")
        print(#"{"workload":"engine","commands":\#(commands),"slowest_batch_ms":\#(format(slowestBatch * 1000, decimals: 1)),"batch_p99_ms":\#(format(p99, decimals: 2)),"batch_p999_ms":\#(format(p999, decimals: 2)),"commands_per_sec":\#(format(rate)),"shards":\#(shards),"batch_cycles":\#(batch),"in_flight":\#(inFlight),"seed_records_per_sec":\#(format(Double(items + members) / seedSeconds))}"#)
    }

    private func seedCatalog(_ engine: Engine) async throws {
        var requests: [Request] = []
        requests.reserveCapacity(8192)
        func flush() async throws {
            guard !requests.isEmpty else { return }
            let result = await engine.execute(requests)
            if let refused = result.outcomes.first(where: { !$0.isOK }) { throw ValidationError("seeding refused: \(refused)") }
            requests.removeAll(keepingCapacity: true)
        }
        for index in 0..<items {
            let draft = ItemDraft(isbn: isbn13(index), title: "Title \(index)", author: "Author \(index % 5000)", publisher: "Publisher \(index % 300)", year: Int32(1950 + index % 75), type: index % 10 == 0 ? .media : .book, copies: copies)
            requests.append(Request(.createItem(draft)))
            if requests.count == 8192 { try await flush() }
        }
        let expiry = CivilDate(year: 2199, month: 1, day: 1).daysSinceEpoch
        for index in 0..<members {
            requests.append(Request(.registerMember(MemberDraft(email: "member\(index)@example.org", name: "Member \(index)", tier: "standard", cardExpiryDay: expiry))))
            if requests.count == 8192 { try await flush() }
        }
        try await flush()
    }
}

/// Random members, drawn a run ahead: drawing a run touches the members' entries in the loan
/// rings in a loop of independent loads, so that their cache misses overlap instead of
/// stalling the driver one cycle at a time (the driver shares the cores with the engine).
private struct MemberDraws {
    private var random: SplitMix64
    private let members: Int
    private let rings: MemberLoanRings
    private var drawn: [Int] = []
    private var nextIndex = 0
    static let run = 32

    init(seed: UInt64, members: Int, rings: MemberLoanRings) {
        random = SplitMix64(seed: seed)
        self.members = members
        self.rings = rings
        drawn.reserveCapacity(Self.run)
    }

    mutating func next() -> Int {
        if nextIndex == drawn.count {
            drawn.removeAll(keepingCapacity: true)
            var checksum: UInt32 = 0
            for _ in 0..<Self.run {
                let member = Int.random(in: 1...members, using: &random)
                drawn.append(member)
                checksum &+= rings.busyRound(member)
            }
            rings.touchChecksum &+= checksum
            nextIndex = 0
        }
        defer { nextIndex += 1 }
        return drawn[nextIndex]
    }
}

/// A batch submitted to the engine and not yet read back.
private struct RunningBatch {
    var task: Task<BatchResult, Never>
    /// By request: the cycle's member, negative for the return that makes room.
    var cycleMembers: [Int]
    var submittedAt: Double
}

/// A valid ISBN-13 in the 978 range for a seed index.
func isbn13(_ index: Int) -> String {
    var digits = Array("978")
    digits += Array(String(index % 1_000_000_000).leftPadded(to: 9))
    var sum = 0
    for (position, character) in digits.enumerated() { sum += (position % 2 == 0 ? 1 : 3) * Int(String(character))! }
    digits.append(Character(String((10 - sum % 10) % 10)))
    return String(digits)
}

extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
