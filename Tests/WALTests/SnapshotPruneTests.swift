import Dispatch
import Engine
import Testing
import WAL

/// Snapshots retire old files off the database's actor: a batch runs while the removal of a
/// retired snapshot is held up (on a disk, unlinking hundreds of MiB and syncing the directory
/// took 40-65 ms, which every batch used to wait for).
@Suite struct SnapshotPruneTests {
    /// The file system, except that removing a snapshot file waits until the test allows it.
    final class HeldRemovals: Storage, @unchecked Sendable {
        let base = FileSystemStorage(ioPath: .posix)
        let entered = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        var holding = false
        var ioPath: IOPath { base.ioPath }
        func createDirectory(_ path: String) throws(StorageError) { try base.createDirectory(path) }
        func list(_ directory: String) throws(StorageError) -> [String] { try base.list(directory) }
        func open(_ path: String, create: Bool) throws(StorageError) -> any StorageFile { try base.open(path, create: create) }
        func rename(_ source: String, to target: String) throws(StorageError) { try base.rename(source, to: target) }
        func syncDirectory(_ path: String) throws(StorageError) { try base.syncDirectory(path) }
        func openForStreaming(_ path: String) throws(StorageError) -> any StorageFile { try base.openForStreaming(path) }
        func remove(_ path: String) throws(StorageError) {
            if holding, path.hasSuffix(".snap") {
                entered.signal()
                release.wait()
            }
            try base.remove(path)
        }
    }

    @Test func batchesRunWhileASnapshotRetiresOldFiles() async throws {
        let directory = WALFixture.temporaryDirectory()
        defer { WALFixture.removeDirectory(directory) }
        let storage = HeldRemovals()
        var configuration = WALFixture.configuration(directory)
        configuration.snapshotIntervalSeconds = nil
        configuration.snapshotLogBytes = nil
        let database = try await Database.open(configuration, storage: storage, clock: ManualClock(WALFixture.start), log: WALFixture.quiet)
        for round in 0..<2 {
            _ = try await database.execute([ReplayTests.item("Volume \(round)")])
            try await database.snapshot()
        }
        _ = try await database.execute([ReplayTests.item("Volume 2")])
        // The third snapshot retires the first: its removal waits for the test.
        storage.holding = true
        let snapshotting = Task { try await database.snapshot() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                storage.entered.wait()
                continuation.resume()
            }
        }
        // A batch now, while the removal is held; given 10 s (a batch waiting for the removal
        // would wait forever), then the removal goes on either way.
        let answered = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                guard let outcomes = try? await database.execute([ReplayTests.item("Volume 3")]), outcomes.count == 1, case .ok = outcomes[0] else { return false }
                return true
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: 10_000_000_000)
                return false
            }
            let first = await group.next() ?? false
            storage.release.signal()
            group.cancelAll()
            return first
        }
        #expect(answered, "a batch waited for the snapshot's removal of old files")
        let lsn = try await snapshotting.value
        #expect(lsn > 0)
        let snapshots = try storage.list(directory).filter { $0.hasSuffix(".snap") }
        #expect(snapshots.count == 2, "\(snapshots)")
        await database.close()
    }
}
