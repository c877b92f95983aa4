import Engine
import Foundation
import LibraProtocol
import Synchronization
import Testing

@testable import LibraClient

#if canImport(Glibc)
import Glibc
#endif

/// The client SDK against the real server process: typed calls, errors, batching, timeouts and
/// a kill -9 in the middle of checkouts.
@Suite(.serialized) struct SDKTests {
    @Test func everyCommandFamilyRoundTrips() async throws {
        try await withServer { server in
            let client = try await LibraClient.connect(port: server.protocolPort, token: ServerProcess.adminToken)
            #expect(client.welcome.role == .admin)

            // Catalog.
            let item = try await client.createItem(SDKSamples.item(copies: 2))
            #expect(item.totalCopies == 2 && item.availableCopies == 2 && item.status == .active)
            #expect(try await client.updateItem(item.id, ItemChanges(title: "Renamed")).title == "Renamed")
            #expect(try await client.addCopies(item.id, count: 3).totalCopies == 5)
            #expect(try await client.removeCopies(item.id, count: 1).totalCopies == 4)

            // Members and policies.
            let member = try await client.registerMember(SDKSamples.member())
            #expect(try await client.updateMember(member.id, MemberChanges(name: "Ada Byron")).name == "Ada Byron")
            #expect(try await client.suspendMember(member.id).status == .suspended)
            #expect(try await client.reinstateMember(member.id).status == .active)
            let blocked = try await client.blockMember(member.id, MemberBlockDraft(reason: "card reported stolen", effects: [.borrowing]))
            #expect(blocked.blocks.map(\.reason) == ["card reported stolen"])
            await #expect(throws: LibraError.refused(Refusal(.memberBlocked))) { try await client.checkout(member: member.id, item: item.id) }
            #expect(try await client.unblockMember(member.id, block: blocked.blocks[0].id).blocks.isEmpty)
            let policy = Policy(loanDays: 7, maxLoans: 3, maxRenewals: 1, finePerDayCents: 10, maxFinePerLoanCents: 500, blockThresholdCents: 300)
            #expect(try await client.setPolicy(PolicyKey(tier: "staff", itemType: .book), policy) == policy)

            // Circulation and reads.
            let loan = try await client.checkout(member: member.id, item: item.id)
            #expect(loan.member == member.id && loan.item == item.id && loan.isActive)
            #expect(try await client.getItem(item.id).availableCopies == 3)
            let (record, active) = try await client.getMember(member.id)
            #expect(record.id == member.id && active.map(\.id) == [loan.id])
            #expect(try await client.renew(loan.id).renewals == 1)
            let page = try await client.memberLoans(member.id)
            #expect(page.elements.map(\.id) == [loan.id] && page.isLast)
            #expect(try await client.overdueLoans().elements.isEmpty)
            let returned = try await client.returnLoan(loan.id)
            #expect(!returned.isActive && returned.returnedAt != nil)
            // Nothing is owed, so a payment is refused (fines need an overdue loan, i.e. a clock).
            await #expect(throws: LibraError.refused(Refusal(.paymentExceedsFines))) {
                try await client.payFine(member: member.id, amountCents: 100)
            }
            // Holds: the copy out, a hold waits; the return sets the copy aside; the holder collects it.
            let single = try await client.createItem(SDKSamples.item(copies: 1))
            let reader = try await client.registerMember(SDKSamples.member())
            let first = try await client.checkout(member: member.id, item: single.id)
            let placed = try await client.placeHold(member: reader.id, item: single.id)
            #expect(placed.position == 1 && placed.hold.status == .waiting)
            #expect(try await client.itemHolds(single.id).elements.map(\.id) == [placed.id])
            await #expect(throws: LibraError.refused(Refusal(.itemOnHold))) { try await client.renew(first.id) }
            _ = try await client.returnLoan(first.id)
            #expect(try await client.memberHolds(reader.id).map(\.hold.status) == [.ready])
            #expect(try await client.getItem(single.id).awaitingPickup == 1)
            _ = try await client.checkout(member: reader.id, item: single.id)
            #expect(try await client.memberHolds(reader.id).isEmpty)
            await #expect(throws: LibraError.refused(Refusal(.holdNotFound))) { try await client.cancelHold(placed.id) }
            #expect(try await client.withdrawItem(item.id).status == .withdrawn)

            // Listings, page by page.
            for index in 0..<4 { _ = try await client.createItem(SDKSamples.item(copies: 1, title: "Extra \(index)")) }
            _ = try await client.registerMember(SDKSamples.member())
            var items: [ItemID] = []
            var after: ItemID?
            repeat {
                let page = try await client.listItems(after: after, limit: 2)
                #expect(page.elements.count <= 2)
                items += page.elements.map(\.id)
                after = page.next
            } while after != nil
            #expect(items == (1...6).map { ItemID($0) })
            let members = try await client.listMembers(limit: 10)
            #expect(members.elements.count == 3 && members.isLast)
            await client.close()
        }
    }

    @Test func refusalsAndRejectionsAreTypedErrors() async throws {
        try await withServer { server in
            do throws(LibraError) {
                _ = try await LibraClient.connect(port: server.protocolPort, token: "not-a-token")
                Issue.record("a bad token was accepted")
            } catch .rejected(let refusal) {
                #expect(refusal.code == .unauthenticated)
            }

            let client = try await LibraClient.connect(port: server.protocolPort, token: ServerProcess.adminToken)
            let member = try await client.registerMember(SDKSamples.member())
            let item = try await client.createItem(SDKSamples.item(copies: 1))
            do throws(LibraError) {
                _ = try await client.checkout(member: member.id, item: 999_999)
                Issue.record("a checkout of a missing item succeeded")
            } catch {
                #expect(error == .refused(Refusal(.itemNotFound)))
                #expect(error.code == .itemNotFound)
            }
            await #expect(throws: LibraError.refused(Refusal.invalid(.title))) {
                try await client.createItem(SDKSamples.item(copies: 1, title: ""))
            }
            // In an explicit batch a refusal is an outcome, in order, not an error.
            let outcomes = try await client.execute([
                Request(.checkout(member: member.id, item: item.id)), Request(.checkout(member: member.id, item: item.id)), Request(.getItem(item.id)),
            ])
            #expect(outcomes.count == 3 && outcomes[0].isOK)
            #expect(outcomes[1].refusal?.code == .alreadyHoldsItem)
            guard case .ok(.item(let after)) = outcomes[2] else { throw SDKTestError("get_item answered \(outcomes[2])") }
            #expect(after.availableCopies == 0)

            await client.close()
            await #expect(throws: LibraError.closed) { try await client.getItem(item.id) }
        }
    }

    @Test func concurrentCallsShareFrames() async throws {
        try await withServer { server in
            let client = try await LibraClient.connect(port: server.protocolPort, token: ServerProcess.adminToken)
            try await client.setPolicy(PolicyKey(tier: "bulk", itemType: .book), SDKSamples.roomyPolicy)
            let members = try await (0..<20).asyncMap { _ in try await client.registerMember(SDKSamples.member(tier: "bulk")).id }
            let items = try await SDKSamples.createItems(100, client: client)

            let before = client.statistics
            let calls = 200
            let results = await withTaskGroup(of: Result<Void, LibraError>.self, returning: [Result<Void, LibraError>].self) { group in
                for (index, item) in items.enumerated() {
                    group.addTask {
                        do throws(LibraError) {
                            _ = try await client.checkout(member: members[index % members.count], item: item)
                            return .success(())
                        } catch {
                            return .failure(error)
                        }
                    }
                    group.addTask {
                        do throws(LibraError) {
                            _ = try await client.getItem(item)
                            return .success(())
                        } catch {
                            return .failure(error)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            let after = client.statistics
            let frames = after.framesSent - before.framesSent
            #expect(results.count == calls)
            #expect(results.allSatisfy { if case .success = $0 { true } else { false } })
            #expect(after.commandsSent - before.commandsSent == calls)
            #expect(frames < calls / 2, "\(calls) calls took \(frames) frames")
            var loans = 0
            for member in members { loans += try await client.getMember(member).loans.count }
            #expect(loans == items.count)
            await client.close()
        }
    }

    @Test func largeBatchesAreCutIntoFramesInOrder() async throws {
        try await withServer { server in
            var configuration = ClientConfiguration()
            configuration.commandsPerFrameMax = 50
            let client = try await LibraClient.connect(port: server.protocolPort, token: ServerProcess.adminToken, configuration: configuration)
            let items = try await SDKSamples.createItems(120, client: client)
            #expect(items == (1...120).map { ItemID($0) })
            let before = client.statistics.framesSent
            let outcomes = try await client.execute(items.map { Request(.getItem($0)) })
            #expect(client.statistics.framesSent - before == 3)
            let read = outcomes.compactMap { outcome -> ItemID? in
                if case .ok(.item(let item)) = outcome { item.id } else { nil }
            }
            #expect(read == items)
            await client.close()
        }
    }

    /// Waits until every thread of `pid` is stopped (state T in /proc), for up to 5 s.
    static func waitUntilStopped(_ pid: Int32) async throws {
        for _ in 0..<500 {
            let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            let states = threads.compactMap { thread -> Character? in
                guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/stat", encoding: .utf8),
                    let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")")
                else { return nil }
                // io_uring's workers are the kernel's threads: they run no server code and do not stop.
                if stat[stat.index(after: open)..<close].hasPrefix("iou-") { return nil }
                // The state follows the command name, which is in parentheses: "pid (name) S ...".
                return stat[stat.index(after: close)...].first { $0 != " " }
            }
            if !states.isEmpty, states.allSatisfy({ $0 == "T" || $0 == "t" }) { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("server \(pid) did not stop within 5 s")
    }

    @Test func aCallWithoutAnAnswerTimesOutAndTheConnectionGoesOn() async throws {
        try await withServer { server in
            var configuration = ClientConfiguration()
            configuration.connections = 1
            configuration.requestTimeout = .milliseconds(300)
            let client = try await LibraClient.connect(port: server.protocolPort, token: ServerProcess.adminToken, configuration: configuration)
            let item = try await client.createItem(SDKSamples.item(copies: 1))
            let pid = try #require(server.process?.processIdentifier)
            kill(pid, SIGSTOP)
            // `kill` returns once the signal is sent; on a busy machine a thread of the server may
            // still answer before it stops. Ask only once every thread is stopped.
            try await Self.waitUntilStopped(pid)
            await #expect(throws: LibraError.timedOut) { try await client.getItem(item.id) }
            let cancelled = Task { try await client.getItem(item.id) }
            try await Task.sleep(for: .milliseconds(50))
            cancelled.cancel()
            await #expect(throws: LibraError.cancelled) { try await cancelled.value }
            kill(pid, SIGCONT)
            // The late answers are dropped; the connection serves the next calls (on a busy
            // machine the stopped server may need more than one timeout to catch up).
            var answered: Item?
            for _ in 0..<20 where answered == nil {
                do throws(LibraError) {
                    answered = try await client.getItem(item.id)
                } catch .timedOut {
                    continue
                }
            }
            #expect(answered?.id == item.id)
            #expect(client.statistics.timeouts >= 1)
            await client.close()
        }
    }

    /// kill -9 (or a graceful stop) while checkouts are in flight, restart on the same directory
    /// and port: every call completes after the client reconnects, and the member holds exactly
    /// the loans the client was told about (a resent checkout is answered from its idempotency
    /// key, never run twice).
    @Test(arguments: [SIGKILL, SIGTERM])
    func checkoutsSurviveAStoppedServerWithoutDoubleLoans(signal: Int32) async throws {
        let port = try freePort()
        try await withServer(arguments: ["--port", "\(port)"]) { server in
            var configuration = ClientConfiguration()
            configuration.retry = RetryPolicy(attempts: 100, backoffInitial: .milliseconds(20), backoffMax: .milliseconds(200))
            configuration.requestTimeout = .seconds(40)
            let client = try await LibraClient.connect(port: port, token: ServerProcess.adminToken, configuration: configuration)
            try await client.setPolicy(PolicyKey(tier: "bulk", itemType: .book), SDKSamples.roomyPolicy)
            let member = try await client.registerMember(SDKSamples.member(tier: "bulk")).id
            let items = try await SDKSamples.createItems(300, client: client)

            let finished = Atomic<Int>(0)
            let wave = 10
            let worker = Task {
                var results: [Result<Loan, LibraError>] = []
                for start in stride(from: 0, to: items.count, by: wave) {
                    await withTaskGroup(of: Result<Loan, LibraError>.self) { group in
                        for item in items[start..<start + wave] {
                            group.addTask {
                                do throws(LibraError) { return .success(try await client.checkout(member: member, item: item)) } catch { return .failure(error) }
                            }
                        }
                        for await result in group { results.append(result) }
                    }
                    finished.add(wave, ordering: .relaxed)
                }
                return results
            }
            while finished.load(ordering: .relaxed) < 60 { try await Task.sleep(for: .milliseconds(1)) }
            server.stop(signal: signal)
            try await Task.sleep(for: .milliseconds(200))
            try server.start()
            let results = await worker.value

            let failures = results.compactMap { if case .failure(let error) = $0 { error } else { nil } }
            let told = results.compactMap { if case .success(let loan) = $0 { loan } else { nil } }
            #expect(failures.isEmpty, "\(failures.prefix(5))")
            #expect(told.count == items.count)
            #expect(Set(told.map(\.item)) == Set(items))
            #expect(client.statistics.reconnects >= 1)

            var held: [Loan] = []
            var after: LoanID?
            repeat {
                let page = try await client.memberLoans(member, after: after, limit: 1000)
                held += page.elements
                after = page.next
            } while after != nil
            #expect(held.allSatisfy { $0.isActive })
            #expect(Set(held.map(\.id)) == Set(told.map(\.id)))
            #expect(held.count == told.count)
            #expect(try await client.getMember(member).member.activeLoans.count == items.count)

            // What the resends rely on, across a crash: a key the log holds is answered with
            // its first outcome.
            let extra = try await SDKSamples.createItems(1, client: client)[0]
            let keyed = [Request(.checkout(member: member, item: extra), idempotencyKey: "drill-\(signal)-1")]
            guard case .ok(.loan(let first)) = try await client.execute(keyed)[0] else { throw SDKTestError("keyed checkout refused") }
            server.stop(signal: SIGKILL)
            try server.start()
            #expect(try await client.execute(keyed)[0] == .ok(.loan(first)))
            await client.close()
        }
    }

    /// A follower of the event stream sees every event once, in order, across a kill -9 and
    /// restart of the server: it reconnects and resumes right after the last event it received.
    @Test func anEventFollowerResumesAcrossAServerCrash() async throws {
        let port = try freePort()
        try await withServer(arguments: ["--port", "\(port)"]) { server in
            var configuration = ClientConfiguration()
            configuration.retry = RetryPolicy(attempts: 100, backoffInitial: .milliseconds(20), backoffMax: .milliseconds(200))
            let client = try await LibraClient.connect(port: port, token: ServerProcess.adminToken, configuration: configuration)
            let before = try await SDKSamples.createItems(5, client: client)
            var events = client.events(from: .lsn(1)).makeAsyncIterator()
            var seen: [StreamEvent] = []
            func created() -> Set<ItemID> { Set(seen.compactMap { if case .itemCreated(let item) = $0.event { item.id } else { nil } }) }
            while !created().isSuperset(of: before), let event = try await events.next() { seen.append(event) }

            server.stop(signal: SIGKILL)
            try server.start()
            let after = try await SDKSamples.createItems(5, client: client)
            while !created().isSuperset(of: after), let event = try await events.next() { seen.append(event) }

            #expect(created() == Set(before + after))
            #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.position < $1.position }, "in order, none twice")
            let tokens = Set(seen.map(\.token))
            #expect(tokens.count == 1 && tokens.first! != nil)
            #expect(seen.allSatisfy { $0.sequence != nil })
            await client.close()
        }
    }

    @Test func analyticsHaveTypedCalls() async throws {
        try await withServer { server in
            let client = try await LibraClient.connect(port: server.protocolPort, token: ServerProcess.adminToken)
            let items = try await SDKSamples.createItems(3, client: client)
            let member = try await client.registerMember(SDKSamples.member()).id
            _ = try await client.checkout(member: member, item: items[1])
            let summary = try await client.circulationSummary()
            #expect(summary.items == 3 && summary.members == 1 && summary.activeLoans == 1 && summary.loansEver == 1)
            #expect(try await client.topItems(limit: 5) == [RankedCount(id: items[1].rawValue, count: 1)])
            #expect(try await client.topMembers().map(\.id) == [member.rawValue])
            let today = CivilDate(day: SystemClock().now().day)
            #expect(try await client.dailyCheckouts(from: today, to: today).map(\.count) == [1])
            let inventory = try await client.inventoryHealth(sampleLimit: 1)
            #expect(inventory.neverBorrowed == 2 && inventory.neverBorrowedSample == [items[0]])
            await #expect(throws: LibraError.self) { try await client.topItems(limit: 0) }
            await client.close()
        }
    }

    /// Cancelling the task that iterates ends a quiet stream at once.
    @Test func cancellingAnEventFollowerEndsItPromptly() async throws {
        try await withServer { server in
            let client = try await LibraClient.connect(port: server.protocolPort, token: ServerProcess.adminToken)
            let follower = Task { () -> LibraError? in
                do {
                    for try await _ in client.events(from: .now) {}
                    return nil
                } catch {
                    return error as? LibraError
                }
            }
            try await Task.sleep(for: .milliseconds(300))
            let began = ContinuousClock.now
            follower.cancel()
            #expect(await follower.value == .cancelled)
            #expect(ContinuousClock.now - began < .seconds(2))
            await client.close()
        }
    }

    @Test func theDeskExampleRunsAndIsTheCodeTheDocsShow() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = try String(contentsOf: root.appendingPathComponent("Examples/DeskExample/main.swift"), encoding: .utf8)
        let docs = try String(contentsOf: root.appendingPathComponent("docs/sdk.md"), encoding: .utf8)
        #expect(docs.contains("```swift\n" + example + "```\n"), "docs/sdk.md must show Examples/DeskExample/main.swift verbatim")

        let binary = URL(fileURLWithPath: ServerProcess.binary).deletingLastPathComponent().appendingPathComponent("libra-desk-example")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the example: swift build --product libra-desk-example")
        try await withServer { server in
            let process = Process()
            process.executableURL = binary
            process.arguments = ["127.0.0.1", "\(server.protocolPort)", ServerProcess.adminToken]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(output)")
            #expect(output.contains("role admin"))
            #expect(output.contains("second return refused: LOAN_NOT_ACTIVE"))
            #expect(output.contains("batch: ok, ok"))
        }
    }

    @Test func framesCarryTheProtocolsBatchEncodingAndKeysFitTheLimit() {
        let requests = [Request(.getItem(7)), Request(.checkout(member: 1, item: 2), idempotencyKey: "k-1"), Request(.returnLoan(3))]
        let runs = EncodedCommands.cut(requests, commandsMax: 2, bytesMax: 1 << 20)
        #expect(runs.map(\.count) == [2, 1])
        #expect(runs[0].isRetrySafe && !runs[1].isRetrySafe)
        let whole = EncodedCommands.cut(requests, commandsMax: 10, bytesMax: 1 << 20)[0]
        #expect([3, 0, 0, 0] + whole.bytes == BinaryPayloads.encodeBatch(requests))
        let bySize = EncodedCommands.cut(requests, commandsMax: 10, bytesMax: whole.bytes.count - 1)
        #expect(bySize.count == 2)

        let keys = IdempotencyKeys(prefix: String(repeating: "p", count: ClientLimits.idempotencyKeyPrefixBytesMax))
        for _ in 0..<3 { _ = keys.next() }
        let key = keys.next()
        #expect(key.utf8.count <= Limits.idempotencyKeyBytesMax && key.hasSuffix("-4"))
        var configuration = ClientConfiguration()
        configuration.idempotencyKeyPrefix += String(repeating: "x", count: ClientLimits.idempotencyKeyPrefixBytesMax)
        #expect(configuration.violation() != nil)
    }
}

// MARK: Helpers

private func withServer<T>(arguments: [String] = [], _ body: (ServerProcess) async throws -> T) async throws -> T {
    let server = try ServerProcess(arguments: arguments)
    try server.start()
    defer {
        server.stop(signal: SIGKILL)
        server.removeDirectory()
    }
    return try await body(server)
}

/// A port nobody listens on right now: bind port 0, read what the kernel chose, close.
private func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SDKTestError("socket: errno \(errno)") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw SDKTestError("bind: errno \(errno)") }
    return Int(UInt16(bigEndian: address.sin_port))
}

private enum SDKSamples {
    static func item(copies: Int32, title: String = "Signals and Systems") -> ItemDraft {
        ItemDraft(isbn: "978-0-306-40615-7", title: title, author: "A. Author", publisher: "Plenum", year: 1984, type: .book, copies: copies)
    }

    static func member(tier: String = "standard") -> MemberDraft {
        MemberDraft(
            email: "sdk-\(UInt64.random(in: 0...UInt64.max))@example.org", name: "Ada Reader", tier: tier,
            cardExpiryDay: CivilDate(year: 2099, month: 12, day: 31).daysSinceEpoch)
    }

    /// Enough loans for one member to borrow hundreds of books.
    static let roomyPolicy = Policy(loanDays: 14, maxLoans: 1000, maxRenewals: 2, finePerDayCents: 25, maxFinePerLoanCents: 1000, blockThresholdCents: 500)

    /// Single-copy items, created in one explicit batch.
    static func createItems(_ count: Int, client: LibraClient) async throws -> [ItemID] {
        let outcomes = try await client.execute((0..<count).map { Request(.createItem(item(copies: 1, title: "Copy \($0)"))) })
        return try outcomes.map { outcome in
            guard case .ok(.item(let item)) = outcome else { throw SDKTestError("create_item answered \(outcome)") }
            return item.id
        }
    }
}

private struct SDKTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Sequence {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
