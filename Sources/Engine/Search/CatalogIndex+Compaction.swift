extension CatalogIndex {
    /// Holes below this many are left alone: reclaiming them would cost more than they hold.
    static let holesTolerated = 4096

    /// Reclaims space once holes outnumber what is held: each compaction costs O(size) after
    /// at least as many removals or changes, so the amortized cost per change stays O(1).
    mutating func compactIfWorthwhile() {
        if (deadSlotCount > Self.holesTolerated && deadSlotCount > count)
            || (emptyTermCount > Self.holesTolerated && emptyTermCount * 2 > terms.count) {
            rebuild(inserting: nil)
        } else if termPoolGarbage > Self.holesTolerated && termPoolGarbage * 2 > termPool.count {
            compactTermPool()
        }
    }

    /// Writes every live slot's terms again, in slot order, with no gaps between them.
    mutating func compactTermPool() {
        var pool: [UInt32] = []
        pool.reserveCapacity(termPool.count - termPoolGarbage)
        for slot in slots.indices {
            let record = slots[slot]
            let start = Int(record.termStart)
            slots[slot].termStart = UInt32(pool.count)
            pool.append(contentsOf: termPool[start..<start + record.termCount])
        }
        termPool = pool
        termPoolGarbage = 0
    }

    /// Builds the index again from its live items, numbering slots and terms afresh (removed
    /// items and unused terms are dropped), with `extra` placed in id order: how an id below
    /// the largest held gets its place.
    mutating func rebuild(inserting extra: (id: ItemID, text: IndexedText)?) {
        var fresh = CatalogIndex()
        fresh.slotItems.reserveCapacity(count + 1)
        fresh.slots.reserveCapacity(count + 1)
        fresh.slotISBNs.reserveCapacity(count + 1)
        fresh.termPool.reserveCapacity(termPool.count - termPoolGarbage + 64)
        var renumbered = [UInt32](repeating: .max, count: terms.count)
        var pending = extra
        terms.withView { view in
            func map(_ terms: some Sequence<UInt32>) -> [UInt32] {
                terms.map { term in
                    if renumbered[Int(term)] == .max { renumbered[Int(term)] = fresh.termID(for: view[term]) }
                    return renumbered[Int(term)]
                }
            }
            func place(_ id: ItemID, _ text: IndexedText) {
                fresh.append(id, IndexedText(title: map(text.title), author: map(text.author), isbn: text.isbn))
            }
            for slot in slots.indices where slots[slot].isLive {
                if let item = pending, item.id.rawValue < slotItems[slot] {
                    place(item.id, item.text)
                    pending = nil
                }
                let record = slots[slot]
                let start = Int(record.termStart)
                let title = termPool[start..<start + Int(record.titleCount)]
                let author = termPool[start + Int(record.titleCount)..<start + record.termCount]
                let key = slotISBNs[slot] == 0 ? nil : ISBNKey(packed: slotISBNs[slot])
                fresh.append(ItemID(slotItems[slot]), IndexedText(title: map(title), author: map(author), isbn: key))
            }
            if let item = pending { place(item.id, item.text) }
        }
        fresh.terms.mergeUnsorted()
        self = fresh
    }
}
