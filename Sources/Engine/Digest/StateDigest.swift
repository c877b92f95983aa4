/// A 128-bit digest of canonical state. Entities contribute a hash each, summed per lane, so
/// that shards digest their part in parallel and the order of shards and dictionaries does not
/// matter; the header (counters, policies, remembered keys) is hashed in its canonical order.
public struct StateDigest: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64

    public var description: String { hex(high) + hex(low) }

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// Accumulates entity hashes; `combine` merges partial digests from shards.
public struct StateDigester: Sendable {
    private static let seedHigh: UInt64 = 0x9e37_79b9_7f4a_7c15
    private static let seedLow: UInt64 = 0x2545_f491_4f6c_dd1d

    public private(set) var sumHigh: UInt64 = 0
    public private(set) var sumLow: UInt64 = 0
    private var writer = ByteWriter(capacity: 512)

    public init() {}

    public mutating func add(item: Item) { add(tag: 1, item) }
    public mutating func add(member: Member) { add(tag: 2, member) }
    public mutating func add(loan: Loan) { add(tag: 3, loan) }

    private mutating func add(tag: UInt8, _ value: some CanonicalEncodable) {
        writer.removeAll()
        writer.write(tag)
        value.encode(to: &writer)
        sumHigh &+= StableHash.hash(writer.bytes, seed: Self.seedHigh)
        sumLow &+= StableHash.hash(writer.bytes, seed: Self.seedLow)
    }

    public mutating func combine(_ other: StateDigester) {
        sumHigh &+= other.sumHigh
        sumLow &+= other.sumLow
    }

    /// The digest of everything added plus the engine-wide header.
    public func finish(header: EngineHeader) -> StateDigest {
        var writer = ByteWriter(capacity: 1024)
        header.encode(to: &writer)
        let headerHigh = StableHash.hash(writer.bytes, seed: Self.seedHigh)
        let headerLow = StableHash.hash(writer.bytes, seed: Self.seedLow)
        return StateDigest(
            high: StableHash.finish(sumHigh ^ headerHigh),
            low: StableHash.finish(sumLow &+ headerLow)
        )
    }
}

/// Engine-wide state outside the entities: counters, the clock, policies and remembered keys.
public struct EngineHeader: Sendable, CanonicalEncodable {
    public var nextSequence: SequenceNumber
    public var lastTimestamp: Timestamp
    public var nextItemID: UInt64
    public var nextMemberID: UInt64
    public var nextLoanID: UInt64
    public var policies: PolicyTable
    /// Oldest first.
    public var rememberedKeys: [IdempotencyRecord]
    /// Open holds, ascending by id.
    public var holds: [Hold]

    public init(
        nextSequence: SequenceNumber, lastTimestamp: Timestamp, nextItemID: UInt64, nextMemberID: UInt64, nextLoanID: UInt64,
        policies: PolicyTable, rememberedKeys: [IdempotencyRecord], holds: [Hold] = []
    ) {
        self.holds = holds
        self.nextSequence = nextSequence
        self.lastTimestamp = lastTimestamp
        self.nextItemID = nextItemID
        self.nextMemberID = nextMemberID
        self.nextLoanID = nextLoanID
        self.policies = policies
        self.rememberedKeys = rememberedKeys
    }

    public func encode(to writer: inout ByteWriter) {
        writer.write(nextSequence)
        writer.write(lastTimestamp.rawValue)
        writer.write(nextItemID)
        writer.write(nextMemberID)
        writer.write(nextLoanID)
        let sorted = policies.sorted
        writer.write(UInt32(sorted.count))
        for (key, policy) in sorted {
            key.encode(to: &writer)
            policy.encode(to: &writer)
        }
        writer.write(UInt32(rememberedKeys.count))
        for record in rememberedKeys { record.encode(to: &writer) }
        writer.write(UInt32(holds.count))
        for hold in holds { hold.encode(to: &writer) }
    }
}
