#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct EngineConfiguration: Sendable {
    public var shardCount: Int
    public var idempotency: IdempotencyRetention
    public var policies: PolicyTable

    public init(shardCount: Int = EngineConfiguration.processorCount, idempotency: IdempotencyRetention = .standard, policies: PolicyTable = .defaults) {
        precondition((1...Limits.shardCountMax).contains(shardCount), "shard count must be in 1...\(Limits.shardCountMax)")
        self.shardCount = shardCount
        self.idempotency = idempotency
        self.policies = policies
    }

    public static var processorCount: Int { max(1, min(Limits.shardCountMax, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))) }
}

/// The outcome of one batch: one outcome per request, in order, and the record to log.
public struct BatchResult: Sendable {
    public var record: BatchRecord
    public var outcomes: [Outcome]
}
