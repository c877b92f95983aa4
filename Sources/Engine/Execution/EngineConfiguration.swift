#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct EngineConfiguration: Sendable {
    public var shardCount: Int
    public var idempotency: IdempotencyRetention
    public var policies: PolicyTable
    /// Commands of one wave sent to the shards in one hop. A larger wave is sent in parts, and
    /// the coordinator builds and completes one part while the shards run the next; the outcome
    /// does not depend on it (tests use small values to cut waves into many parts).
    public var slotsPerHop: Int

    public static let slotsPerHopDefault = 512

    public init(
        shardCount: Int = EngineConfiguration.processorCount, idempotency: IdempotencyRetention = .standard, policies: PolicyTable = .defaults,
        slotsPerHop: Int = EngineConfiguration.slotsPerHopDefault
    ) {
        precondition((1...Limits.shardCountMax).contains(shardCount), "shard count must be in 1...\(Limits.shardCountMax)")
        precondition((1...Limits.commandsPerBatchMax).contains(slotsPerHop), "slots per hop must be in 1...\(Limits.commandsPerBatchMax)")
        self.shardCount = shardCount
        self.idempotency = idempotency
        self.policies = policies
        self.slotsPerHop = slotsPerHop
    }

    public static var processorCount: Int { max(1, min(Limits.shardCountMax, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) }
}

/// The outcome of one batch: one outcome per request, in order, and the record to log.
public struct BatchResult: Sendable {
    public var record: BatchRecord
    public var outcomes: [Outcome]
}
