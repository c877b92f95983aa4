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
