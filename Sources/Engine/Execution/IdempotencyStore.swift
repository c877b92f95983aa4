/// Remembered idempotency keys, oldest first. Each record gets an ordinal in the order it was
/// remembered; eviction always takes the lowest ordinals, by age at batch start and by count
/// after each new record. Because of that, whether a key is still remembered at any point in
/// a batch can be computed before the batch runs (see `isLive`).
struct IdempotencyStore {
    private var records: [IdempotencyRecord] = []
    /// Index into `records` of the oldest live record.
    private var head = 0
    /// Ordinal of `records[0]`.
    private var baseOrdinal: UInt64 = 0
    private var ordinals: [String: UInt64] = [:]

    var count: Int { records.count - head }
    var headOrdinal: UInt64 { baseOrdinal + UInt64(head) }
    var nextOrdinal: UInt64 { baseOrdinal + UInt64(records.count) }

    /// Live records, oldest first.
    var live: ArraySlice<IdempotencyRecord> { records[head...] }

    func lookup(_ key: String) -> (ordinal: UInt64, record: IdempotencyRecord)? {
        guard let ordinal = ordinals[key] else { return nil }
        return (ordinal, records[Int(ordinal - baseOrdinal)])
    }

    /// Forgets records remembered at or before `cutoff`.
    mutating func evict(rememberedAtOrBefore cutoff: Timestamp) {
        while head < records.count, records[head].rememberedAt <= cutoff { evictOldest() }
        compactIfWorthwhile()
    }

    mutating func remember(_ record: IdempotencyRecord, keysMax: Int) {
        // Live, only a forgotten key is remembered again. Replay with a longer retention or a
        // larger bound than the log was written with can meet a key still live here: the newer
        // record wins (the old slot is left to age out). Keep retention settings across restarts.
        ordinals[record.key] = nextOrdinal
        records.append(record)
        while count > keysMax { evictOldest() }
        compactIfWorthwhile()
    }

    private mutating func evictOldest() {
        let key = records[head].key
        if ordinals[key] == headOrdinal { ordinals[key] = nil }
        head += 1
    }

    private mutating func compactIfWorthwhile() {
        guard head > 1024, head * 2 > records.count else { return }
        records.removeFirst(head)
        baseOrdinal += UInt64(head)
        head = 0
    }
}
