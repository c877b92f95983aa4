import Engine
import Testing
import WAL

@Suite struct VerifyTests {
    @Test func verifyReportsTheRecoveredState() async throws {
        let storage = SimulatedStorage()
        let clock = ManualClock(WALFixture.start)
        let database = try await Database.open(WALFixture.configuration("/data"), storage: storage, clock: clock, log: WALFixture.quiet)
        let batches = WALFixture.batches(seed: 3, count: 30)
        for (index, batch) in batches.enumerated() {
            clock.set(WALFixture.time(ofBatch: index))
            _ = try await database.execute(batch)
        }
        let digest = await database.engine.digest()
        let counts = await database.engine.counts()
        await database.close()

        let report = try await VerifyReport.run(directory: "/data", storage: storage, log: { _ in })
        #expect(report.lsn == UInt64(batches.count))
        #expect(report.digest == digest.description)
        #expect(report.items == counts.items && report.members == counts.members && report.activeLoans == counts.activeLoans)
        #expect(report.violations.isEmpty)
        #expect(report.jsonLine.hasPrefix(#"{"lsn":\#(batches.count),"digest":"\#(digest)","items":12,"members":8,"#))
    }
}
