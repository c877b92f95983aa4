extension CatalogIndex {
    /// Every broken invariant, described; empty when the index is sound. O(size): for tests
    /// and for checks after a rebuild, not for every change.
    public func invariantViolations() -> [String] {
        var violations: [String] = []
        func check(_ condition: Bool, _ message: @autoclosure () -> String) {
            if !condition && violations.count < 20 { violations.append(message()) }
        }
        check(slotItems.count == slots.count && slots.count == slotISBNs.count, "slot arrays differ in length")
        check(zip(slotItems, slotItems.dropFirst()).allSatisfy { $0 < $1 }, "slot ids are not strictly ascending")
        check(slots.count(where: \.isLive) == count, "count \(count) is not the number of live slots")
        check(
            postings.count == terms.count && postingCounts.count == terms.count && titlePostingCounts.count == terms.count && firstPostings.count == terms.count,
            "per-term arrays differ from the term count")

        // Each live slot's terms, as (term, posting) facts, against the posting lists.
        var expected = [Int](repeating: 0, count: terms.count)
        var liveTerms = 0
        for slot in slots.indices where slots[slot].isLive {
            let record = slots[slot]
            let start = Int(record.termStart)
            check(start + record.termCount <= termPool.count, "slot \(slot) terms outside the pool")
            guard start + record.termCount <= termPool.count else { continue }
            liveTerms += record.termCount
            let title = Array(termPool[start..<start + Int(record.titleCount)])
            let author = Array(termPool[start + Int(record.titleCount)..<start + record.termCount])
            check(Set(title).count == title.count && Set(author).count == author.count, "slot \(slot) repeats a term within a field")
            for (field, fieldTerms) in [(UInt32(0), title), (1, author)] {
                for term in fieldTerms {
                    expected[Int(term)] += 1
                    let list = postings[Int(term)]
                    let posting = UInt32(slot) << 1 | field
                    let position = Self.lowerBound(list, posting)
                    check(position < list.count && list[position] == posting, "slot \(slot) term \(term) has no posting")
                }
            }
        }
        check(termPool.count - termPoolGarbage == liveTerms, "pool garbage \(termPoolGarbage) does not account for the pool")
        var empty = 0
        for term in postings.indices {
            let list = postings[term]
            if list.isEmpty { empty += 1 }
            check(list.count == expected[term], "term \(term) has \(list.count) postings, its items \(expected[term])")
            check(zip(list, list.dropFirst()).allSatisfy { $0 < $1 }, "term \(term) postings are not strictly ascending")
            check(list.count(where: { $0 & 1 == 0 }) == Int(titlePostingCounts[term]), "term \(term) title count is wrong")
            check(list.count == Int(postingCounts[term]) && (list.first ?? .max) == firstPostings[term], "term \(term) count or first posting is wrong")
        }
        check(empty == emptyTermCount, "empty term count \(emptyTermCount), found \(empty)")

        terms.withView { view in
            let sorted = terms.sorted
            check(zip(sorted, sorted.dropFirst()).allSatisfy { view.compare($0, $1) < 0 }, "terms are not in strict byte order")
            for (rank, term) in sorted.enumerated() { check(terms.ranks[Int(term)] == UInt32(rank), "term \(term) rank is wrong") }
            for term in terms.unsorted { check(terms.ranks[Int(term)] == TermDictionary.unranked, "unsorted term \(term) has a rank") }
            check(sorted.count + terms.unsorted.count == terms.count, "terms missing from the byte order")
            for term in 0..<UInt32(terms.count) { check(terms.find(view[term]) == term, "term \(term) is not found by its bytes") }
        }

        var filed = 0
        isbns.forEachEntry { slot, key in
            filed += 1
            check(Int(slot) < slots.count && slots[Int(slot)].isLive && slotISBNs[Int(slot)] == key, "ISBN entry for slot \(slot) is stale")
        }
        check(filed == slotISBNs.count(where: { $0 != 0 }) && filed == isbns.count, "ISBN index holds \(filed) entries")
        return violations
    }
}
