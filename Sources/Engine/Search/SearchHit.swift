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

    /// True when a hit with this score and item comes after the cursor.
    @inline(__always) public func precedes(score other: Int32, item: ItemID) -> Bool {
        other != score ? other < score : item > self.item
    }
}

extension CatalogIndex {
    /// Merges the pages several indexes (one per shard) returned for the same query and cursor
    /// into the first `limit` hits overall. Each page must be in result order, as `search`
    /// returns it; the indexes must hold distinct items. When each index was asked for
    /// `limit + 1` hits, the merged list is exactly what one index over all the items would
    /// return, and a `limit + 1`-th merged hit tells that another page follows.
    public static func merge(_ pages: [[SearchHit]], limit: Int) -> [SearchHit] {
        precondition(limit >= 0, "limit \(limit) is negative")
        var heads = [Int](repeating: 0, count: pages.count)
        var merged: [SearchHit] = []
        merged.reserveCapacity(min(limit, pages.reduce(0) { $0 + $1.count }))
        while merged.count < limit {
            var best = -1
            for (page, head) in heads.enumerated() where head < pages[page].count {
                if best < 0 || pages[page][head].ranks(before: pages[best][heads[best]]) { best = page }
            }
            guard best >= 0 else { break }
            let hit = pages[best][heads[best]]
            assert(merged.last.map { $0.ranks(before: hit) } ?? true, "page \(best) is not in result order")
            merged.append(hit)
            heads[best] += 1
        }
        return merged
    }
}
