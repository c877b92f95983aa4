extension CatalogIndex {
    /// The best hits for `query`, best first, at most `limit` (clamped to
    /// `SearchLimits.hitsPerCallMax`). With `after`, the hits that follow that cursor: pass the
    /// last hit of the previous page. A query with no word and no ISBN finds nothing.
    public func search(_ query: String, after cursor: SearchCursor? = nil, limit: Int) -> [SearchHit] {
        let wanted = min(max(limit, 0), SearchLimits.hitsPerCallMax)
        guard wanted > 0, count > 0 else { return [] }
        let plan = QueryPlan(query, index: self)
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
    /// tier's bound. When the words rarely meet, a `CandidateFilter` of the other words rules
    /// candidates out before they are scored; as the page fills, it keeps only the levels of
    /// the other words that can still lift an item into the page.
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
        // Scoring a candidate through its terms costs about a hundred times reading a posting:
        // the filter is built once the candidates scored would have paid for it, and built
        // again (from fewer terms) when a fuller page raises the floors.
        var filter: CandidateFilter?
        var filterFloors: [UInt8] = []
        var scoredSinceFilter = 0
        var candidates: [UInt32] = []
        candidates.reserveCapacity(4 * search.top.capacity)
        slots.withUnsafeBufferPointer { slots in
            termPool.withUnsafeBufferPointer { pool in
                terms.ranks.withUnsafeBufferPointer { ranks in
                    let scorer = Scorer(slots: slots, pool: pool, ranks: ranks, slotISBNs: slotISBNs, isbn: plan.isbn, matcher: QueryMatcher(words))
                    for level in stride(from: MatchLevel.exactTitle, through: 1, by: -1) where words[driver].postingsByLevel[Int(level)] > 0 {
                        let isTitle = MatchLevel.isTitle(level)
                        let floor = SearchScore.points(level) + othersMin + (isTitle && words.count == 1 ? SearchScore.titleBonus : 0)
                        var bound = SearchScore.points(level) + othersMax + (isTitle && othersReachTitle ? SearchScore.titleBonus : 0)
                        var start: UInt32 = 0
                        if let cursor = search.cursor {
                            // Hits after the cursor score at most the cursor's score; those that
                            // score exactly that follow the cursor's item.
                            if floor > cursor.score { continue }
                            if floor == cursor.score { start = search.cursorSlot }
                            bound = min(bound, cursor.score)
                        }
                        if search.top.isFull && search.top.worst.score > bound { break }
                        var tier = TierCandidates(
                            terms: words[driver].terms(ofKind: MatchLevel.kind(of: level), sorted: terms.sorted), field: MatchLevel.field(of: level), from: start,
                            postingsInTier: words[driver].postingsByLevel[Int(level)], wanted: search.top.capacity, words: words.count, index: self)
                        reading: while tier.next(into: &candidates, filter: filter, index: self) {
                            var found = 0
                            for slot in candidates {
                                if filter?.contains(slot) ?? true {
                                    if let score = scorer.score(slot: slot, driver: driver, driverLevel: level) {
                                        found += 1
                                        search.offer(score: score, slot: slot)
                                    }
                                    scoredSinceFilter += 1
                                    if words.count > 1 && scoredSinceFilter & 15 == 0 {
                                        // A candidate after this one enters the page only above the
                                        // worst hit, or level with it and before it.
                                        let need = search.top.isFull ? search.top.worst.score + (search.top.worst.slot < slot ? 1 : 0) : 0
                                        guard let floors = floors(plan, driver: driver, level: level, need: need) else { break reading }
                                        if floors != filterFloors && scoredSinceFilter * 100 >= filterCost(plan, floors: floors) {
                                            filter = buildFilter(plan, floors: floors)
                                            filterFloors = floors
                                            scoredSinceFilter = 0
                                        }
                                    }
                                }
                                if search.top.isFull, search.top.worst.score > bound || (search.top.worst.score == bound && search.top.worst.slot <= slot) {
                                    break reading
                                }
                            }
                            tier.noteWindow(found: found, read: candidates.count, index: self)
                        }
                    }
                }
            }
        }
    }

    /// The lowest level each word other than the driver must reach for an item of the driver's
    /// `level` tier to score at least `need`, the other words reaching their best (0 for the
    /// driver); nil when no item of the tier can. A word's level counts its points, and the
    /// title bonus when it is a title level and the tier and every other word can be too.
    private func floors(_ plan: QueryPlan, driver: Int, level: UInt8, need: Int32) -> [UInt8]? {
        let words = plan.words
        let bonusPossible = MatchLevel.isTitle(level) && words.indices.allSatisfy { $0 == driver || words[$0].reachesTitle }
        let best = SearchScore.points(level) + words.indices.reduce(0) { $1 == driver ? $0 : $0 + SearchScore.points(words[$1].levelMax) }
        var floors = [UInt8](repeating: 0, count: words.count)
        for index in words.indices where index != driver {
            let rest = best - SearchScore.points(words[index].levelMax)
            guard let floor = (1...max(1, words[index].levelMax)).first(where: { candidate in
                rest + SearchScore.points(candidate) + (bonusPossible && MatchLevel.isTitle(candidate) ? SearchScore.titleBonus : 0) >= need
            }) else { return nil }
            floors[index] = floor
        }
        return floors
    }

    /// The postings a filter with these floors reads.
    private func filterCost(_ plan: QueryPlan, floors: [UInt8]) -> Int {
        plan.words.indices.reduce(0) { total, index in
            floors[index] == 0 ? total : total + plan.words[index].postingsByLevel[Int(floors[index])...].reduce(0, +)
        }
    }

    /// The items whose words other than the driver each reach their floor, rarest word first.
    private func buildFilter(_ plan: QueryPlan, floors: [UInt8]) -> CandidateFilter {
        var filter = CandidateFilter(slotCount: slots.count)
        let others = plan.words.indices.filter { floors[$0] > 0 }.sorted { plan.words[$0].postingsTotal < plan.words[$1].postingsTotal }
        for index in others {
            var sources: [CandidateFilter.Source] = []
            for kind in [MatchLevel.exact, MatchLevel.prefix, MatchLevel.typo] {
                var fields: UInt32 = 0
                if MatchLevel.level(kind: kind, field: 0) >= floors[index] { fields |= 0b01 }
                if MatchLevel.level(kind: kind, field: 1) >= floors[index] { fields |= 0b10 }
                guard fields != 0 else { continue }
                for term in plan.words[index].terms(ofKind: kind, sorted: terms.sorted) { sources.append(.init(term: term, fields: fields)) }
            }
            filter.intersect(sources, postings: postings)
        }
        return filter
    }
}

/// Scores one candidate on all the query's words from its own terms.
private struct Scorer {
    let slots: UnsafeBufferPointer<SlotRecord>
    let pool: UnsafeBufferPointer<UInt32>
    let ranks: UnsafeBufferPointer<UInt32>
    let slotISBNs: [UInt64]
    let isbn: ISBNKey?
    let matcher: QueryMatcher

    /// The item's score, or nil when it is not a candidate of this tier: it is not held, some
    /// word matches none of its words, the driver word's best level is another tier's, or its
    /// ISBN matches (ISBN hits are scored apart).
    @inline(__always) func score(slot: UInt32, driver: Int, driverLevel: UInt8) -> Int32? {
        let record = slots[Int(slot)]
        guard record.isLive else { return nil }
        if let isbn, isbn.isPrefix(of: slotISBNs[Int(slot)]) { return nil }
        var best: UInt64 = 0
        let start = Int(record.termStart)
        let titleEnd = start + Int(record.titleCount)
        for position in start..<start + record.termCount {
            let term = pool[position]
            let kinds = matcher.kinds(term: term, rank: matcher.hasPrefixes ? ranks[Int(term)] : 0)
            if kinds == 0 { continue }
            best = QueryMatcher.maximum(best, QueryMatcher.levels(kinds: kinds, field: position < titleEnd ? 0 : 1))
        }
        guard QueryMatcher.level(best, word: driver) == driverLevel, matcher.allMatched(best) else { return nil }
        let score = QueryMatcher.sum(best) * SearchScore.pointsPerLevel
        return matcher.allTitle(best) ? score + SearchScore.titleBonus : score
    }
}
