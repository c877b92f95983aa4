import ArgumentParser
import Engine
import WAL

/// Recovery speed: a snapshot of a large catalog, then a long log of checkout cycles after it;
/// a fresh engine recovers both, timed.
struct RecoverWorkload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recover", abstract: "Snapshot load and log replay speed.")

    @Option(help: "Directory for the data (created; emptied first and last).") var dataDir = "./bench-data/recover"
    @Option(help: "Log records (one checkout cycle each) after the snapshot.") var records = 10_000_000
    @Option(help: "Items in the snapshot.") var items = 1_000_000
    @Option(help: "Members in the snapshot.") var members = 1_000_000
    @Option(help: "Shards of the recovering engine (default: one per core).") var shards = EngineConfiguration.processorCount
    @Flag(help: "Keep the data directory afterwards, and recover an existing one instead of building it (same sizes).") var keep = false

    func validate() throws {
        guard records >= 1, items >= 1, members >= 1 else { throw ValidationError("records, items and members must be positive") }
    }

    func run() async throws {
        let storage = FileSystemStorage(ioPath: .posix)
        if keep, (try? storage.list(dataDir))?.contains(Recovery.formatMarker) == true {
            progress("recover: reusing \(dataDir)")
        } else {
            try build(storage)
        }
        try await recover(storage)
        if !keep { try freshDirectory(dataDir) }
    }

    /// Writes the snapshot and the log after it.
    private func build(_ storage: FileSystemStorage) throws {
        try freshDirectory(dataDir)
        let now = Timestamp(rawValue: 1_763_700_000_000)
        progress("recover: writing a snapshot of \(items) items and \(members) members")
        var built = monotonicSeconds()
        var itemList: [Item] = []
        itemList.reserveCapacity(items)
        for index in 1...items {
            itemList.append(Item(id: ItemID(UInt64(index)), isbn: isbn13(index), title: "Title \(index)", author: "Author \(index % 50_000)", publisher: "Publisher \(index % 3_000)", year: Int32(1950 + index % 75), type: index % 10 == 0 ? .media : .book, status: .active, totalCopies: 3, availableCopies: 3))
        }
        var memberList: [Member] = []
        memberList.reserveCapacity(members)
        for index in 1...members {
            memberList.append(Member(id: MemberID(UInt64(index)), email: "member\(index)@example.org", name: "Member \(index)", tier: "standard", status: .active, cardExpiryDay: 84_000, finesOwedCents: 0, activeLoans: []))
        }
        let header = EngineHeader(nextSequence: 1, lastTimestamp: now, nextItemID: UInt64(items + 1), nextMemberID: UInt64(members + 1), nextLoanID: 1, policies: .defaults, rememberedKeys: [])
        try storage.createDirectory(dataDir)
        let marker = try storage.open(dataDir + "/" + Recovery.formatMarker, create: true)
        try marker.write(Array(Recovery.formatLine.utf8), at: 0, sync: true)
        marker.close()
        try SnapshotFile.write(EngineSnapshot(header: header, items: itemList, members: memberList, loans: []), lsn: 0, directory: dataDir, storage: storage)
        itemList = []
        memberList = []
        progress("recover: snapshot written in \(format(monotonicSeconds() - built, decimals: 1)) s; writing \(records) log records")

        built = monotonicSeconds()
        let writer = try LogWriter(storage: storage, configuration: LogWriter.Configuration(directory: dataDir, fsync: .never), position: LogPosition(segment: nil, offset: 0, nextLSN: 1))
        var random = SplitMix64(seed: 7)
        var available = [UInt8](repeating: 3, count: items + 1)
        var loansOut = [[(LoanID, ItemID)]](repeating: [], count: members + 1)
        var nextLoan: UInt64 = 1
        var sequence: UInt64 = 1
        var events = 0
        var copiesOut = 0
        var written = 0
        var index = 0
        while written < records {
            defer { index += 1 }
            let member = Int.random(in: 1...members, using: &random)
            var recordEvents: [Event] = []
            let time = now.adding(milliseconds: Int64(index))
            if loansOut[member].count >= 5 {
                let (loan, item) = loansOut[member].removeFirst()
                available[Int(item.rawValue)] += 1
                copiesOut -= 1
                recordEvents.append(.loanReturned(loan, member: MemberID(UInt64(member)), item: item, returnedAt: time, fineCents: 0))
            }
            // Keep a quarter of the copies on the shelf, so that a free copy is always a few
            // draws away: when fewer remain, this cycle only returns.
            if copiesOut >= (items * 3) * 3 / 4 {
                if recordEvents.isEmpty, let (loan, item) = loansOut[member].first {
                    loansOut[member].removeFirst()
                    available[Int(item.rawValue)] += 1
                    copiesOut -= 1
                    recordEvents.append(.loanReturned(loan, member: MemberID(UInt64(member)), item: item, returnedAt: time, fineCents: 0))
                }
                if !recordEvents.isEmpty {
                    events += recordEvents.count
                    let record = BatchRecord(firstSequence: sequence, commandCount: UInt32(recordEvents.count), timestamp: time, nextItemID: UInt64(items + 1), nextMemberID: UInt64(members + 1), nextLoanID: nextLoan, events: recordEvents, actors: ["a1b2c3d4e5f6"], sources: EventSource.onePerCommand(recordEvents.count))
                    sequence += UInt64(recordEvents.count)
                    _ = try writer.append(record.canonicalBytes)
                    written += 1
                }
                continue
            }
            var item = Int.random(in: 1...items, using: &random)
            while available[item] == 0 { item = Int.random(in: 1...items, using: &random) }
            available[item] -= 1
            copiesOut += 1
            let loan = LoanID(nextLoan)
            nextLoan += 1
            loansOut[member].append((loan, ItemID(UInt64(item))))
            recordEvents.append(.loanCreated(Loan(id: loan, item: ItemID(UInt64(item)), member: MemberID(UInt64(member)), itemType: item % 10 == 0 ? .media : .book, checkedOutAt: time, dueAt: time.adding(milliseconds: 14 * Timestamp.millisecondsPerDay))))
            events += recordEvents.count
            let record = BatchRecord(firstSequence: sequence, commandCount: UInt32(recordEvents.count), timestamp: time, nextItemID: UInt64(items + 1), nextMemberID: UInt64(members + 1), nextLoanID: nextLoan, events: recordEvents, actors: ["a1b2c3d4e5f6"], sources: EventSource.onePerCommand(recordEvents.count))
            sequence += UInt64(recordEvents.count)
            _ = try writer.append(record.canonicalBytes)
            written += 1
            if written % 1_000_000 == 0 { progress("recover: \(written) records written") }
        }
        writer.close()
        // The generator's bookkeeping goes before recovery starts: recovery is measured alone.
        available = []
        loansOut = []
        progress("recover: log written in \(format(monotonicSeconds() - built, decimals: 1)) s (\(events) events)")
    }

    private func recover(_ storage: FileSystemStorage) async throws {
        progress("recover: recovering with \(shards) shards")
        let engine = Engine(configuration: EngineConfiguration(shardCount: shards))
        let (_, report) = try await Recovery.recover(into: engine, directory: dataDir, storage: storage) { progress($0) }
        let violations = await engine.invariantViolations()
        guard violations.isEmpty else { throw ValidationError("invariants broken after recovery: \(violations.prefix(3))") }
        guard report.recordsReplayed == UInt64(records) else { throw ValidationError("replayed \(report.recordsReplayed) of \(records) records") }
        let events = report.eventsReplayed
        print(#"{"workload":"recover","records":\#(records),"events":\#(events),"replay_records_per_sec":\#(format(Double(records) / report.replaySeconds)),"replay_events_per_sec":\#(format(Double(events) / report.replaySeconds)),"snapshot_load_seconds":\#(format(report.snapshotSeconds, decimals: 2)),"snapshot_items":\#(items),"snapshot_members":\#(members),"shards":\#(shards)}"#)
    }
}
