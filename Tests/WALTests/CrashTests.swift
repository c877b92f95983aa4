import Engine
import Testing
import WAL

/// Crash anywhere, recover, and find exactly what was logged up to some point: never less than
/// what was acknowledged, never a batch in part.
@Suite struct CrashTests {
    struct Outcome {
        var acknowledged = 0
        var recoveredLSN: UInt64 = 0
    }

    /// Runs `batches` on a simulated disk that crashes during write number `crashWrite`; then
    /// recovers from the crash image and checks it.
    static func crashAndRecover(seed: UInt64, batches: [[Request]], records: [BatchRecord], crashWrite: Int, snapshotEvery: Int?) async throws -> Outcome {
        let storage = SimulatedStorage()
        storage.crash(atWrite: crashWrite, seed: seed)
        // Half the runs see every write land in two parts; a few see slow I/O.
        if seed % 2 == 0 { storage.shortWrites = seed }
        if seed % 10 == 1 { storage.latencyMicroseconds = 200 }
        let clock = ManualClock(WALFixture.start)
        let configuration = WALFixture.configuration("/data", segmentBytes: 16 << 10)
        let database = try await Database.open(configuration, storage: storage, clock: clock, log: WALFixture.quiet)
        var outcome = Outcome()
        for (index, batch) in batches.enumerated() {
            clock.set(WALFixture.time(ofBatch: index))
            _ = try await database.execute(batch)
            // Acknowledged before the crash: the image was not yet taken when execute returned.
            if storage.capturedCrash == nil { outcome.acknowledged = index + 1 }
            if let snapshotEvery, index % snapshotEvery == snapshotEvery - 1 { try await database.snapshot() }
        }
        await database.close()
        guard let image = storage.capturedCrash else { return outcome }

        let recovered = try await Database.open(WALFixture.configuration("/data", shards: 3, segmentBytes: 16 << 10), storage: image, clock: clock, log: WALFixture.quiet)
        outcome.recoveredLSN = recovered.recoveryReport.lastLSN
        // Snapshots become visible only once complete and durable: a crash never damages one.
        #expect(recovered.recoveryReport.discardedSnapshots.isEmpty, "seed \(seed): \(recovered.recoveryReport.discardedSnapshots)")
        if snapshotEvery != nil, outcome.acknowledged > 20 { #expect(recovered.recoveryReport.snapshotLSN > 0, "seed \(seed): no snapshot used") }
        #expect(outcome.recoveredLSN >= UInt64(outcome.acknowledged), "seed \(seed) crash at write \(crashWrite): acknowledged \(outcome.acknowledged), recovered \(outcome.recoveredLSN)")
        #expect(outcome.recoveredLSN <= UInt64(records.count))
        let expected = await WALFixture.digest(of: records[0..<Int(outcome.recoveredLSN)])
        #expect(await recovered.engine.digest() == expected, "seed \(seed) crash at write \(crashWrite): state is not that of the first \(outcome.recoveredLSN) batches")
        #expect(await recovered.engine.invariantViolations().isEmpty, "seed \(seed)")
        // The recovered log accepts new batches, and they survive a clean restart.
        clock.set(WALFixture.time(ofBatch: batches.count + 1))
        _ = try await recovered.execute([Request(.getMember(1)), Request(.checkout(member: 2, item: 3))])
        let after = await recovered.engine.digest()
        await recovered.close()
        let again = try await Database.open(WALFixture.configuration("/data", segmentBytes: 16 << 10), storage: image, clock: clock, log: WALFixture.quiet)
        #expect(await again.engine.digest() == after, "seed \(seed): batches after recovery did not survive a restart")
        await again.close()
        return outcome
    }

    @Test(arguments: 1...40)
    func crashAtARandomWrite(seed: Int) async throws {
        let seed = UInt64(seed)
        var random = SeededRandom(seed: seed &* 7919)
        let batches = WALFixture.batches(seed: seed, count: 150)
        let records = await WALFixture.loggedRecords(batches)
        // Each batch takes one write+sync (two counted operations) or so; crash anywhere in range.
        let crashWrite = Int(random.next() % UInt64(records.count * 2 + 8)) + 1
        let snapshotEvery: Int? = seed % 3 == 0 ? Int(random.next() % 10) + 3 : nil
        _ = try await Self.crashAndRecover(seed: seed, batches: batches, records: records, crashWrite: crashWrite, snapshotEvery: snapshotEvery)
    }
}
