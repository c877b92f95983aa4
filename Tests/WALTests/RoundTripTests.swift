import Engine
import Testing
import WAL

@Suite struct RoundTripTests {
    static func run(storage: any Storage, directory: String) async throws {
        let batches = WALFixture.batches(seed: 7, count: 60)
        let clock = ManualClock(WALFixture.start)
        let database = try await Database.open(WALFixture.configuration(directory, segmentBytes: 32 << 10), storage: storage, clock: clock, log: WALFixture.quiet)
        for (index, batch) in batches.enumerated() {
            clock.set(WALFixture.time(ofBatch: index))
            _ = try await database.execute(batch)
        }
        let live = await database.engine.digest()
        await database.close()

        let records = await WALFixture.loggedRecords(batches)
        #expect(live == (await WALFixture.digest(of: records[...])))

        let reopened = try await Database.open(WALFixture.configuration(directory, shards: 3, segmentBytes: 32 << 10), storage: storage, clock: clock, log: WALFixture.quiet)
        #expect(reopened.recoveryReport.lastLSN == UInt64(records.count))
        #expect(reopened.recoveryReport.tornBytes == 0)
        #expect(await reopened.engine.digest() == live)
        #expect(await reopened.engine.invariantViolations().isEmpty)
        await reopened.close()
    }

    @Test func simulatedDisk() async throws {
        try await Self.run(storage: SimulatedStorage(), directory: "/data")
    }

    @Test(arguments: [IOPath.posix, IOPath.uring])
    func realFiles(path: IOPath) async throws {
        if path == .uring, !FileSystemStorage.uringAvailable() { return }
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        try await Self.run(storage: FileSystemStorage(ioPath: path), directory: directory)
    }
}
