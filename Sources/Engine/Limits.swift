/// Every bound the engine enforces, in one place. Commands that exceed one are refused with
/// `INVALID_FIELD` naming the field, before they touch any state.
public enum Limits {
    public static let commandsPerBatchMax = 65_536
    public static let isbnBytesMax = 32
    public static let titleBytesMax = 512
    public static let authorBytesMax = 256
    public static let publisherBytesMax = 256
    public static let nameBytesMax = 256
    public static let emailBytesMax = 254
    public static let tierBytesMax = 32
    public static let idempotencyKeyBytesMax = 64
    /// Who sent a command (a token id), as a record names it.
    public static let actorBytesMax = 64
    public static let yearRange: ClosedRange<Int32> = 0...2200
    public static let copiesPerItemMax: Int32 = 10_000
    /// Card expiry between 1970-01-01 and 2199-12-31.
    public static let cardExpiryDayRange: ClosedRange<Int32> = 0...84_005
    /// Times a command may carry (an imported loan's): 1970-01-01 through the end of 2199-12-31, in ms.
    public static let timestampRange: ClosedRange<Int64> = 0...(84_006 * 86_400_000 - 1)
    public static let paymentCentsMax: Int64 = 100_000_000
    public static let loanDaysRange: ClosedRange<Int32> = 1...3650
    public static let maxLoansRange: ClosedRange<Int32> = 0...1000
    public static let maxRenewalsRange: ClosedRange<Int32> = 0...100
    public static let centsPolicyRange: ClosedRange<Int64> = 0...100_000_000
    public static let pageSizeMax = 1000
    /// A member's open holds can never exceed this, whatever the policies say.
    public static let maxHoldsRange: ClosedRange<Int32> = 0...100
    public static let pickupDaysRange: ClosedRange<Int32> = 1...365
    public static let overdueBlockLoansRange: ClosedRange<Int32> = 0...1000
    public static let blockReasonBytesMax = 256
    /// Blocks on one member at a time; beyond it, lift one first.
    public static let blocksPerMemberMax = 16
    /// Shards beyond this add hop overhead without adding parallelism on any machine we target.
    public static let shardCountMax = 256
}

/// How long and how many idempotency keys are remembered. Keys are state: a repeat within
/// the retention returns the first outcome; after it the key is forgotten (oldest first when
/// the count bound is reached earlier).
public struct IdempotencyRetention: Sendable, Hashable {
    public var keysMax: Int
    public var retentionMilliseconds: Int64

    public init(keysMax: Int, retentionMilliseconds: Int64) {
        precondition(keysMax >= 1 && retentionMilliseconds >= 1)
        self.keysMax = keysMax
        self.retentionMilliseconds = retentionMilliseconds
    }

    /// One million keys, 24 hours.
    public static let standard = IdempotencyRetention(keysMax: 1_000_000, retentionMilliseconds: 86_400_000)
}
