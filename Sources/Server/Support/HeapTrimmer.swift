import Engine
import Logging
import ServiceLifecycle
import WAL

/// Every few seconds, while the log is quiet (less than `quietBytesMax` written since the last
/// check), hands the C allocator's free memory back to the
/// kernel once resident memory exceeds what is in use by more than `keepingBytes`
/// (`Allocator.looseBytesMax`), so that after a burst (a bulk load, a batched run) resident
/// memory falls back to about what is in use. Only while quiet: a trim holds each heap's lock in
/// turn for tens of milliseconds, and under a sustained load the heaps fill again at once (a
/// 40 s batched run: a trim of 50 ms every 10-20 s, each handing back 500-650 MiB).
final class HeapTrimmer: Service {
    private let intervalSeconds: Double
    private let keepingBytes: Int
    /// The most log bytes written since the last check for the log to count as quiet (bytes, not
    /// records: one batched record holds thousands of commands).
    private let quietBytesMax: UInt64
    private let logBytes: @Sendable () -> UInt64
    private let logger: Logger

    init(
        intervalSeconds: Double = Allocator.looseCheckSeconds, keepingBytes: Int = Allocator.looseBytesMax, quietBytesMax: UInt64 = 1 << 20,
        logBytes: @escaping @Sendable () -> UInt64, logger: Logger
    ) {
        precondition(intervalSeconds > 0, "trim interval of \(intervalSeconds) s")
        self.intervalSeconds = intervalSeconds
        self.keepingBytes = keepingBytes
        self.quietBytesMax = quietBytesMax
        self.logBytes = logBytes
        self.logger = logger
    }

    func run() async throws {
        // Graceful shutdown cancels the wait, so that stopping never waits for an interval.
        try? await cancelWhenGracefulShutdown { try await self.trimPeriodically() }
    }

    private func trimPeriodically() async throws {
        var lastBytes = logBytes()
        while true {
            try await Task.sleep(for: .seconds(intervalSeconds))
            let bytes = logBytes()
            defer { lastBytes = bytes }
            guard bytes - lastBytes < quietBytesMax else { continue }
            // The trim blocks for as long as it walks the heaps: not on the cooperative pool.
            let keepingBytes = keepingBytes
            let trimmed = await offCooperativePool(qos: .utility) { Self.trim(keepingBytes: keepingBytes) }
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
