extension CatalogIndex {
    /// The best hits for `query`, best first, at most `limit` (clamped to
    /// `SearchLimits.hitsPerCallMax`). With `after`, the hits that follow that cursor: pass the
    /// last hit of the previous page. A query with no word and no ISBN finds nothing.
    public func search(_ query: String, after cursor: SearchCursor? = nil, limit: Int) -> [SearchHit] {
        let wanted = min(max(limit, 0), SearchLimits.hitsPerCallMax)
        guard wanted > 0, count > 0 else { return [] }
        let plan = QueryPlan(query, terms: terms, postings: postings, titlePostingCounts: titlePostingCounts)
        let cursorSlot = cursor.map { $0.item.rawValue == .max ? slots.count : firstSlot(notBelow: $0.item.rawValue + 1) } ?? 0
        var search = Search(cursor: cursor, cursorSlot: UInt32(cursorSlot), top: TopHits(capacity: wanted))
        if let key = plan.isbn { searchISBN(key, &search) }
        if plan.wordsCanMatch { searchWords(plan, &search) }
        let hits = search.top.sorted().map { SearchHit(item: ItemID(slotItems[Int($0.slot)]), score: $0.score) }
        assert(zip(hits, hits.dropFirst()).allSatisfy { $0.ranks(before: $1) }, "hits out of order")
        return hits
    }

    /// The state of one search: its cursor (as a slot: slots from `cursorSlot` have ids above
    /// the cursor's) and the best hits so far.
    struct Search {
        let cursor: SearchCursor?
        let cursorSlot: UInt32
        var top: TopHits

        @inline(__always) func isAfterCursor(score: Int32, slot: UInt32) -> Bool {
            guard let cursor else { return true }
            return score != cursor.score ? score < cursor.score : slot >= cursorSlot
        }

        @inline(__always) mutating func offer(score: Int32, slot: UInt32) {
            if isAfterCursor(score: score, slot: slot) { top.offer(score: score, slot: slot) }
        }
    }

    private func searchISBN(_ key: ISBNKey, _ search: inout Search) {
        isbns.forEachMatch(of: key) { slot, packed in
            search.offer(score: packed == key.packed ? SearchScore.isbnExact : SearchScore.isbnPrefix, slot: slot)
        }
    }

    /// Reads the rarest word's postings tier by tier (its exact title matches, exact author
    /// matches, title prefixes, ...), each tier in slot order, scoring every candidate on all
    /// words. A tier bounds the scores of its items (from the other words' best and worst
    /// levels), which tells when the page is settled: within a tier, once the page's worst hit
    /// scores at least the bound and comes earlier; across tiers, once it scores above the next
    /// tier's bound.
    private func searchWords(_ plan: QueryPlan, _ search: inout Search) {
        let words = plan.words
        let driver = words.indices.min { words[$0].postingsTotal < words[$1].postingsTotal }!
        var othersMax: Int32 = 0
        var othersMin: Int32 = 0
        var othersReachTitle = true
        for index in words.indices where index != driver {
            othersMax += SearchScore.points(words[index].levelMax)
            othersMin += SearchScore.points(words[index].levelMin)
            othersReachTitle = othersReachTitle && words[index].reachesTitle
        }
        var levels = [UInt8](repeating: 0, count: words.count)
        var candidates: [UInt32] = []
        candidates.reserveCapacity(4 * search.top.capacity)
        for level in stride(from: MatchLevel.exactTitle, through: 1, by: -1) where words[driver].postingsByLevel[Int(level)] > 0 {
            let isTitle = MatchLevel.isTitle(level)
            let floor = SearchScore.points(level) + othersMin + (isTitle && words.count == 1 ? SearchScore.titleBonus : 0)
            var bound = SearchScore.points(level) + othersMax + (isTitle && othersReachTitle ? SearchScore.titleBonus : 0)
            var start: UInt32 = 0
            if let cursor = search.cursor {
                // Hits after the cursor score at most the cursor's score; those that score
                // exactly that follow the cursor's item.
                if floor > cursor.score { continue }
                if floor == cursor.score { start = search.cursorSlot }
                bound = min(bound, cursor.score)
            }
            if search.top.isFull && search.top.worst.score > bound { break }
            var stream = TierStream(
                terms: words[driver].terms(ofKind: MatchLevel.kind(of: level), sorted: terms.sorted), field: MatchLevel.field(of: level),
                from: start, postings: postings, expected: words[driver].postingsByLevel[Int(level)], wanted: search.top.capacity, slotCount: slots.count)
            tier: while stream.next(into: &candidates, postings: postings) {
                for slot in candidates {
                    if let score = score(slot: slot, plan, driver: driver, driverLevel: level, levels: &levels) {
                        search.offer(score: score, slot: slot)
                    }
                    if search.top.isFull, search.top.worst.score > bound || (search.top.worst.score == bound && search.top.worst.slot <= slot) {
                        break tier
                    }
                }
            }
        }
    }

    /// The item's score on the query's words, or nil when it is not a candidate of this tier:
    /// some word matches none of its words, the driver word's best level is another tier's,
    /// or its ISBN matches (ISBN hits are scored apart).
    @inline(__always) private func score(slot: UInt32, _ plan: QueryPlan, driver: Int, driverLevel: UInt8, levels: inout [UInt8]) -> Int32? {
        let record = slots[Int(slot)]
        guard record.isLive else { return nil }
        if let key = plan.isbn, key.isPrefix(of: slotISBNs[Int(slot)]) { return nil }
        for index in levels.indices { levels[index] = 0 }
        let start = Int(record.termStart)
        let titleEnd = start + Int(record.titleCount)
        for position in start..<start + record.termCount {
            let term = termPool[position]
            let rank = terms.ranks[Int(term)]
            let field: UInt32 = position < titleEnd ? 0 : 1
            for index in plan.words.indices {
                let level = plan.words[index].level(term: term, rank: rank, field: field)
                if level > levels[index] { levels[index] = level }
            }
        }
        guard levels[driver] == driverLevel else { return nil }
        var score: Int32 = 0
        var allTitle = true
        for level in levels {
            if level == MatchLevel.none { return nil }
            score += SearchScore.points(level)
            allTitle = allTitle && MatchLevel.isTitle(level)
        }
        return allTitle ? score + SearchScore.titleBonus : score
    }
}
