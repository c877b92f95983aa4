import Dispatch
import Engine
import Logging
import ServiceLifecycle
import WAL

/// Every few seconds, hands the C allocator's free memory back to the kernel once resident
/// memory exceeds what is in use by more than `keepingBytes` (`Allocator.trimThresholdBytes`),
/// so that after a burst (a bulk load, a batched run) it falls back to what is in use plus that
/// reserve, as operations.md promises.
final class HeapTrimmer: Service {
    private let intervalSeconds: Double
    private let keepingBytes: Int
    private let logger: Logger

    init(intervalSeconds: Double = 10, keepingBytes: Int = Int(Allocator.trimThresholdBytes), logger: Logger) {
        precondition(intervalSeconds > 0, "trim interval of \(intervalSeconds) s")
        self.intervalSeconds = intervalSeconds
        self.keepingBytes = keepingBytes
        self.logger = logger
    }

    func run() async throws {
        // Graceful shutdown cancels the wait, so that stopping never waits for an interval.
        try? await cancelWhenGracefulShutdown { try await self.trimPeriodically() }
    }

    private func trimPeriodically() async throws {
        while true {
            try await Task.sleep(for: .seconds(intervalSeconds))
            // The trim blocks for as long as it walks the heaps: not on the cooperative pool.
            let keepingBytes = keepingBytes
            let trimmed = await withCheckedContinuation { continuation in
                DispatchQueue.global(qos: .utility).async { continuation.resume(returning: Self.trim(keepingBytes: keepingBytes)) }
            }
            if let trimmed {
                logger.info(
                    "memory: handed free heap back to the system: resident \(trimmed.before >> 20) -> \(trimmed.after >> 20) MiB, \(trimmed.inUse >> 20) MiB in use, in \(Int(trimmed.seconds * 1000)) ms")
            }
        }
    }

    /// Trims if resident memory exceeds what is in use by more than `keepingBytes`; what it
    /// measured, or nil if it did not trim.
    static func trim(keepingBytes: Int) -> (before: Int, after: Int, inUse: Int, seconds: Double)? {
        guard let before = ProcessMemory.residentBytes(), let inUse = Allocator.inUseBytes, before - inUse > keepingBytes else { return nil }
        let began = monotonicSeconds()
        Allocator.returnFreedMemory()
        return (before, ProcessMemory.residentBytes() ?? before, inUse, monotonicSeconds() - began)
    }
}
