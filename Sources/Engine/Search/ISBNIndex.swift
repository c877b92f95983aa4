/// Items by ISBN key, for prefix lookups. Keys are filed in buckets by their first six
/// characters, the fewest a query may have, so a query's matches all lie in one bucket. A
/// bucket is unordered: an insertion appends and a search reads the whole bucket, which holds
/// the items of one publisher prefix at most (hundreds in a typical catalog, tens of
/// thousands for the largest publishers: a sequential scan of 12 bytes an entry).
struct ISBNIndex: Sendable {
    struct Bucket: Sendable {
        var keys: [UInt64] = []
        var slots: [UInt32] = []
    }

    private(set) var buckets: [UInt32: Bucket] = [:]
    private(set) var count = 0

    @inline(__always) private static func bucket(of packed: UInt64) -> UInt32 {
        UInt32(truncatingIfNeeded: packed >> UInt64(64 - 4 * SearchLimits.isbnQueryCharactersMin))
    }

    mutating func insert(_ key: ISBNKey, slot: UInt32) {
        buckets[Self.bucket(of: key.packed), default: Bucket()].append(key.packed, slot)
        count += 1
    }

    mutating func remove(_ key: ISBNKey, slot: UInt32) {
        let bucket = Self.bucket(of: key.packed)
        let removed = buckets[bucket]?.remove(key.packed, slot) ?? false
        precondition(removed, "ISBN of slot \(slot) is not indexed")
        if buckets[bucket]?.keys.isEmpty == true { buckets[bucket] = nil }
        count -= 1
    }

    /// Calls `body` with the slot and key of every item whose ISBN starts with `prefix`.
    func forEachMatch(of prefix: ISBNKey, _ body: (UInt32, UInt64) -> Void) {
        guard let bucket = buckets[Self.bucket(of: prefix.packed)] else { return }
        let range = prefix.prefixRange
        for index in bucket.keys.indices where range.contains(bucket.keys[index]) {
            body(bucket.slots[index], bucket.keys[index])
        }
    }

    /// Every (slot, key) filed, in no order.
    func forEachEntry(_ body: (UInt32, UInt64) -> Void) {
        for bucket in buckets.values {
            for index in bucket.keys.indices { body(bucket.slots[index], bucket.keys[index]) }
        }
    }

    var memoryBytes: Int {
        buckets.values.reduce(buckets.capacity * 64) { $0 + $1.keys.capacity * 8 + $1.slots.capacity * 4 + 64 }
    }
}

extension ISBNIndex.Bucket {
    fileprivate mutating func append(_ key: UInt64, _ slot: UInt32) {
        keys.append(key)
        slots.append(slot)
    }

    fileprivate mutating func remove(_ key: UInt64, _ slot: UInt32) -> Bool {
        guard let index = slots.lastIndex(of: slot), keys[index] == key else { return false }
        keys.swapAt(index, keys.count - 1)
        slots.swapAt(index, slots.count - 1)
        keys.removeLast()
        slots.removeLast()
        return true
    }
}
