import Dispatch
import Engine
import Foundation
import LibraProtocol
import NIOConcurrencyHelpers
import Testing
import WAL

#if canImport(Glibc)
import Glibc
#endif

/// Starting, stopping, idling and killing the real server process.
@Suite(.serialized) struct LifecycleTests {
    @Test func anIdleConnectionIsClosedWithAnErrorFrame() throws {
        let server = try ServerProcess(arguments: ["--idle-timeout", "1"])
        defer { server.stop(signal: SIGKILL); server.removeDirectory() }
        try server.start()
        let client = try FrameClient(port: server.protocolPort, timeoutSeconds: 10)
        _ = try client.hello()
        let answer = try client.receive()
        #expect(answer.refusal?.code == .idleTimeout)
        #expect(client.socket.isClosedByPeer())
    }

    /// Connections are spread over the event loops: with more loops than the default, every
    /// connection is still served, and an impossible count is refused before anything starts.
    @Test func eventLoopsServeEveryConnection() throws {
        let server = try ServerProcess(arguments: ["--event-loops", "3"])
        defer { server.stop(signal: SIGKILL); server.removeDirectory() }
        try server.start()
        let clients = try (0..<7).map { _ in try FrameClient(port: server.protocolPort) }
        for client in clients { _ = try client.hello() }
        for (index, client) in clients.enumerated() {
            #expect(try client.outcomes([Samples.member(index)])[0].member != nil)
        }
        server.stop(signal: SIGTERM).checkExit(0, server)

        let refused = try ServerProcess(arguments: ["--event-loops", "0"])
        defer { refused.removeDirectory() }
        #expect(throws: ServerProcessError.self) { try refused.start(timeoutSeconds: 30) }
        #expect(refused.stderrText.contains("--event-loops must be 1...256"))
    }

    /// A second server on a data directory in use is refused at once (it would append to the
    /// same log); the first one goes on serving.
    @Test func aDataDirectoryServesOneServerAtATime() throws {
        let first = try ServerProcess()
        defer { first.stop(signal: SIGKILL); first.removeDirectory() }
        try first.start()
        let second = try ServerProcess(directory: first.directory)
        defer { second.stop(signal: SIGKILL) }
        #expect(throws: ServerProcessError.self) { try second.start(timeoutSeconds: 30) }
        #expect(second.stderrText.contains("another libra process is using this data directory"))
        let client = try FrameClient(port: first.protocolPort)
        _ = try client.hello()
        #expect(try client.outcomes([Samples.item(0, copies: 1)])[0].item != nil)
        // The lock goes with the process, however it ends.
        first.stop(signal: SIGKILL)
        try second.start()
    }

    /// A protocol port already taken ends the server with an error, instead of leaving it
    /// running without its listener (it used to stay up, deaf to SIGTERM).
    @Test func aTakenPortEndsTheServer() throws {
        let first = try ServerProcess()
        defer { first.stop(signal: SIGKILL); first.removeDirectory() }
        try first.start()
        let second = try ServerProcess(arguments: ["--port", String(first.protocolPort)])
        defer { second.stop(signal: SIGKILL); second.removeDirectory() }
        do {
            try second.start(timeoutSeconds: 30)
            Issue.record("a second server started on a taken port")
        } catch {
            // It ends by itself, with an error status, instead of waiting out the timeout.
            #expect("\(error)".contains("server exited with 1 before it was ready"), "\(error)")
        }
        #expect(second.stderrText.contains("Address already in use"))
    }

    @Test func sigtermAnswersWhatIsInFlightAndExitsZero() throws {
        let server = try ServerProcess()
        defer { server.stop(signal: SIGKILL); server.removeDirectory() }
        try server.start()
        let client = try FrameClient(port: server.protocolPort)
        _ = try client.hello()
        let item = try #require(try client.outcomes([Samples.item(0, copies: 1000)])[0].item)
        var members: [MemberID] = []
        for index in 0..<50 { members.append(try #require(try client.outcomes([Samples.member(index)])[0].member?.id)) }
        for member in members { try client.send(.batch, BinaryPayloads.encodeBatch([Request(.checkout(member: member, item: item.id))])) }
        server.stop(signal: SIGTERM, timeoutSeconds: 30).checkExit(0, server)
        // Every answer that arrived is a result or SHUTTING_DOWN; what was acknowledged is durable.
        var acknowledged: Set<MemberID> = []
        while let answer = try? client.receive() {
            if answer.header.opcode == .results, let loan = try BinaryPayloads.decodeResults(answer.payload)[0].loan { acknowledged.insert(loan.member) }
            if answer.header.opcode == .error { #expect(answer.refusal?.code == .shuttingDown) }
        }
        #expect(server.stderrText.contains("log closed"))
        try server.start()
        let again = try FrameClient(port: server.protocolPort)
        _ = try again.hello()
        for member in acknowledged {
            #expect(try again.outcomes([Request(.getMember(member))])[0].member?.activeLoans.count == 1)
        }
    }

    /// The crash drill in small: clients check out and return under load, the server is killed
    /// with SIGKILL, restarted on the same directory, and every acknowledged change must be
    /// there; every other loan must be one a client had in flight when the server died. On both
    /// of the log's I/O paths: POSIX (the default) and io_uring, where the kernel allows it.
    @Test(arguments: ["posix", "uring"]) func sigkillUnderLoadLosesNothingAcknowledged(io: String) throws {
        if io == "uring", !FileSystemStorage.uringAvailable() { return }
        let server = try ServerProcess(arguments: ["--snapshot-log-mib", "1", "--io", io])
        defer { server.stop(signal: SIGKILL); server.removeDirectory() }
        try server.start()
        #expect(server.output.last?.contains(" io \(io) ") == true, "ready line: \(server.output.last ?? "")")
        let setup = try FrameClient(port: server.protocolPort)
        _ = try setup.hello()
        let items = try setup.outcomes((0..<12).map { Samples.item($0, copies: 2) }).map { $0.item!.id }
        let threads = 4
        let membersPerThread = 3
        let members = try setup.outcomes((0..<threads * membersPerThread).map { Samples.member($0) }).map { $0.member!.id }

        struct Ledger {
            var checkedOut: [LoanID: (member: MemberID, item: ItemID)] = [:]
            var returned: Set<LoanID> = []
            var inFlightCheckouts: [(member: MemberID, item: ItemID)] = []
            var inFlightReturns: Set<LoanID> = []
            var acknowledged = 0
        }
        let ledger = NIOLockedValueBox(Ledger())
        let port = server.protocolPort
        let deadline = Date().addingTimeInterval(1.5)
        let killed = DispatchSemaphore(value: 0)
        let killer = Thread {
            while Date() < deadline { usleep(10_000) }
            server.stop(signal: SIGKILL)
            killed.signal()
        }
        killer.start()
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            guard let client = try? FrameClient(port: port, timeoutSeconds: 10), (try? client.hello()) != nil else { return }
            let mine = Array(members[thread * membersPerThread..<(thread + 1) * membersPerThread])
            var active: [MemberID: [LoanID]] = [:]
            var random = SplitMix64(seed: UInt64(thread + 1))
            while true {
                let member = mine[Int(random.next() % UInt64(mine.count))]
                if let oldest = active[member]?.first, active[member]!.count >= 3 {
                    ledger.withLockedValue { _ = $0.inFlightReturns.insert(oldest) }
                    guard let answer = try? client.batch([Request(.returnLoan(oldest))]), case .success(let outcomes) = answer else { return }
                    #expect(outcomes[0].isOK)
                    active[member]!.removeFirst()
                    ledger.withLockedValue {
                        $0.inFlightReturns.remove(oldest)
                        $0.returned.insert(oldest)
                        $0.acknowledged += 1
                    }
                } else {
                    let item = items[Int(random.next() % UInt64(items.count))]
                    let index = ledger.withLockedValue { ledger -> Int in
                        ledger.inFlightCheckouts.append((member, item))
                        return ledger.inFlightCheckouts.count - 1
                    }
                    guard let answer = try? client.batch([Request(.checkout(member: member, item: item))]), case .success(let outcomes) = answer else { return }
                    ledger.withLockedValue { ledger in
                        ledger.inFlightCheckouts[index] = (0, 0)  // answered: no longer in flight
                        if let loan = outcomes[0].loan {
                            ledger.checkedOut[loan.id] = (member, item)
                            ledger.acknowledged += 1
                        }
                    }
                    if let loan = outcomes[0].loan { active[member, default: []].append(loan.id) }
                }
            }
        }
        killed.wait()
        let final = ledger.withLockedValue { $0 }
        #expect(final.acknowledged > 20, "the load ran: \(final.acknowledged) acknowledged changes")

        try server.start()
        let check = try FrameClient(port: server.protocolPort)
        _ = try check.hello()
        var seen: Set<LoanID> = []
        let inFlight = final.inFlightCheckouts.filter { $0.member != 0 }
        for member in members {
            var after: LoanID?
            repeat {
                guard case .ok(.loans(let loans, let next)) = try check.outcomes([Request(.memberLoans(member, after: after, limit: 1000))])[0] else {
                    Issue.record("member loans unreadable")
                    return
                }
                for loan in loans {
                    seen.insert(loan.id)
                    if let expected = final.checkedOut[loan.id] {
                        #expect(expected.member == loan.member && expected.item == loan.item)
                        if final.returned.contains(loan.id) { #expect(!loan.isActive, "acknowledged return of \(loan.id) lost") }
                        else if !final.inFlightReturns.contains(loan.id) { #expect(loan.isActive, "loan \(loan.id) returned without a request") }
                    } else {
                        // Not acknowledged: it must be a checkout that was in flight at the kill.
                        #expect(inFlight.contains { $0.member == loan.member && $0.item == loan.item }, "loan \(loan.id) appeared from nowhere")
                    }
                }
                after = next
            } while after != nil
        }
        for loan in final.checkedOut.keys { #expect(seen.contains(loan), "acknowledged checkout \(loan) lost") }
        server.stop(signal: SIGTERM).checkExit(0, server)
        // Offline: recovery again, and every invariant.
        let verify = Process()
        verify.executableURL = URL(fileURLWithPath: ServerProcess.binary)
        verify.arguments = ["verify", "--data-dir", server.directory]
        let output = Pipe()
        verify.standardOutput = output
        verify.standardError = FileHandle.nullDevice
        try verify.run()
        verify.waitUntilExit()
        #expect(verify.terminationStatus == 0, "libra verify: \(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))")
    }
}

extension Int32 {
    func checkExit(_ expected: Int32, _ server: ServerProcess, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(self == expected, "exit status \(self); stderr:\n\(server.stderrText.suffix(2000))", sourceLocation: sourceLocation)
    }
}
