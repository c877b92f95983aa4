/// One item found by a search. Results are ordered by score (higher first), then by item id
/// (lower first): a total order, the same on every shard.
public struct SearchHit: Sendable, Hashable, CustomStringConvertible {
    public var item: ItemID
    /// Higher is better; see `CatalogIndex` for the rules.
    public var score: Int32

    public init(item: ItemID, score: Int32) {
        self.item = item
        self.score = score
    }

    /// True when `self` comes before `other` in results.
    @inline(__always) public func ranks(before other: SearchHit) -> Bool {
        score != other.score ? score > other.score : item < other.item
    }

    public var description: String { "\(item):\(score)" }
}

/// Where the next page starts: after the last hit of the previous one (a keyset cursor). It
/// stays valid while items change; a page then reflects the index as it is when asked.
public struct SearchCursor: Sendable, Hashable {
    public var score: Int32
    public var item: ItemID

    public init(score: Int32, item: ItemID) {
        self.score = score
        self.item = item
    }

    /// The cursor that continues after `hit`.
    public init(after hit: SearchHit) {
        self.init(score: hit.score, item: hit.item)
    }
}

/// A search hit with its item, as a search answers it.
public struct ScoredItem: Sendable, Hashable {
    public var item: Item
    public var score: Int32

    public init(item: Item, score: Int32) {
        self.item = item
        self.score = score
    }

    /// The hit this item stands for: its rank and cursor are the hit's.
    public var hit: SearchHit { SearchHit(item: item.id, score: score) }
}
