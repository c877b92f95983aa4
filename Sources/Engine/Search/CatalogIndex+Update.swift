/// An item's words as term ids, each once per field, and its ISBN key.
struct IndexedText {
    var title: [UInt32] = []
    var author: [UInt32] = []
    var isbn: ISBNKey?
}

extension CatalogIndex {
    /// Adds an item, or replaces the searchable text of one already indexed. Call it for every
    /// item created or changed. An item with no words and no ISBN is held but never found.
    public mutating func upsert(_ id: ItemID, title: String, author: String, isbn: String) {
        var text = IndexedText(isbn: ISBNKey(stored: isbn))
        text.title = termIDs(of: title, bytesMax: SearchLimits.titleBytesMax, wordsMax: SearchLimits.titleWordsMax)
        text.author = termIDs(of: author, bytesMax: SearchLimits.authorBytesMax, wordsMax: SearchLimits.authorWordsMax)
        if let last = slotItems.last, id.rawValue <= last {
            if let slot = slot(of: id) { replace(slot: slot, with: text) } else { rebuild(inserting: (id, text)) }
        } else {
            append(id, text)
        }
        compactIfWorthwhile()
    }

    /// `upsert` with the item's title, author and ISBN.
    public mutating func upsert(_ item: Item) {
        upsert(item.id, title: item.title, author: item.author, isbn: item.isbn)
    }

    /// Forgets an item; nothing happens when it is not indexed.
    public mutating func remove(_ id: ItemID) {
        guard let slot = slot(of: id), slots[slot].isLive else { return }
        let record = slots[slot]
        let posting = UInt32(slot) << 1
        for offset in 0..<record.termCount {
            removePosting(termPool[Int(record.termStart) + offset], posting | (offset < Int(record.titleCount) ? 0 : 1))
        }
        if slotISBNs[slot] != 0 { isbns.remove(ISBNKey(packed: slotISBNs[slot]), slot: UInt32(slot)) }
        slotISBNs[slot] = 0
        termPoolGarbage += record.termCount
        slots[slot] = SlotRecord(termStart: record.termStart, titleCount: 0, authorCount: 0, isLive: false)
        count -= 1
        compactIfWorthwhile()
    }

    /// The slot that holds (or held) `id`.
    func slot(of id: ItemID) -> Int? {
        let slot = firstSlot(notBelow: id.rawValue)
        return slot < slotItems.count && slotItems[slot] == id.rawValue ? slot : nil
    }

    /// The first slot whose id is `raw` or above.
    func firstSlot(notBelow raw: UInt64) -> Int {
        var low = 0
        var high = slotItems.count
        while low < high {
            let middle = (low + high) / 2
            if slotItems[middle] < raw { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The distinct words of `text` as term ids (new terms are added), in order of appearance.
    mutating func termIDs(of text: String, bytesMax: Int, wordsMax: Int) -> [UInt32] {
        var ids: [UInt32] = []
        SearchText.forEachWord(in: text, bytesMax: bytesMax) { word in
            let term = termID(for: word)
            if !ids.contains(term) { ids.append(term) }
            return ids.count < wordsMax
        }
        return ids
    }

    mutating func termID(for word: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let term = terms.insert(word)
        if Int(term) == postings.count {
            postings.append([])
            postingCounts.append(0)
            titlePostingCounts.append(0)
            firstPostings.append(.max)
            emptyTermCount += 1
        }
        return term
    }

    /// A new item above every id held: its postings append.
    mutating func append(_ id: ItemID, _ text: IndexedText) {
        precondition(slots.count < SearchLimits.itemsMax, "an index holds at most \(SearchLimits.itemsMax) items")
        precondition(slotItems.last.map { $0 < id.rawValue } ?? true, "item \(id) is not above every id held")
        precondition(termPool.count + text.title.count + text.author.count <= Int(UInt32.max), "term pool full")
        let slot = UInt32(slots.count)
        slotItems.append(id.rawValue)
        slots.append(SlotRecord(termStart: UInt32(termPool.count), titleCount: UInt8(text.title.count), authorCount: UInt8(text.author.count), isLive: true))
        termPool.append(contentsOf: text.title)
        termPool.append(contentsOf: text.author)
        // Title postings first: a term in both fields gets slot << 1, then slot << 1 | 1.
        for term in text.title { appendPosting(term, slot << 1) }
        for term in text.author { appendPosting(term, slot << 1 | 1) }
        slotISBNs.append(text.isbn?.packed ?? 0)
        if let key = text.isbn { isbns.insert(key, slot: slot) }
        count += 1
    }

    /// New text for a slot that holds (or held) the item: only the words that changed move.
    private mutating func replace(slot: Int, with text: IndexedText) {
        let record = slots[slot]
        let start = Int(record.termStart)
        let oldTitle = Array(termPool[start..<start + Int(record.titleCount)])
        let oldAuthor = Array(termPool[start + Int(record.titleCount)..<start + record.termCount])
        let posting = UInt32(slot) << 1
        for term in oldTitle where !text.title.contains(term) { removePosting(term, posting) }
        for term in oldAuthor where !text.author.contains(term) { removePosting(term, posting | 1) }
        for term in text.title where !oldTitle.contains(term) { insertPosting(term, posting) }
        for term in text.author where !oldAuthor.contains(term) { insertPosting(term, posting | 1) }

        let newCount = text.title.count + text.author.count
        var termStart = record.termStart
        if newCount > record.termCount {
            precondition(termPool.count + newCount <= Int(UInt32.max), "term pool full")
            termStart = UInt32(termPool.count)
            termPool.append(contentsOf: repeatElement(0, count: newCount))
            termPoolGarbage += record.termCount
        } else {
            termPoolGarbage += record.termCount - newCount
        }
        for (offset, term) in (text.title + text.author).enumerated() { termPool[Int(termStart) + offset] = term }
        slots[slot] = SlotRecord(termStart: termStart, titleCount: UInt8(text.title.count), authorCount: UInt8(text.author.count), isLive: true)

        let newKey = text.isbn?.packed ?? 0
        if slotISBNs[slot] != newKey {
            if slotISBNs[slot] != 0 { isbns.remove(ISBNKey(packed: slotISBNs[slot]), slot: UInt32(slot)) }
            if let key = text.isbn { isbns.insert(key, slot: UInt32(slot)) }
            slotISBNs[slot] = newKey
        }
        if !record.isLive { count += 1 }
    }

    private mutating func appendPosting(_ term: UInt32, _ posting: UInt32) {
        let index = Int(term)
        if postings[index].isEmpty { emptyTermCount -= 1 }
        assert(postings[index].last.map { $0 < posting } ?? true, "posting \(posting) of term \(term) out of order")
        growIfFull(index)
        postings[index].append(posting)
        noteChange(of: index, posting, added: true)
    }

    private mutating func insertPosting(_ term: UInt32, _ posting: UInt32) {
        let index = Int(term)
        if postings[index].isEmpty { emptyTermCount -= 1 }
        let position = Self.lowerBound(postings[index], posting)
        precondition(position == postings[index].count || postings[index][position] != posting, "posting \(posting) of term \(term) already held")
        growIfFull(index)
        postings[index].insert(posting, at: position)
        noteChange(of: index, posting, added: true)
    }

    private mutating func removePosting(_ term: UInt32, _ posting: UInt32) {
        let index = Int(term)
        let position = Self.lowerBound(postings[index], posting)
        precondition(position < postings[index].count && postings[index][position] == posting, "posting \(posting) of term \(term) is not held")
        postings[index].remove(at: position)
        noteChange(of: index, posting, added: false)
        if postings[index].isEmpty { emptyTermCount += 1 }
    }

    /// Grows a full posting list by a quarter rather than doubling it (as an append would):
    /// posting lists are most of an index, and doubling leaves a third of them unused on average.
    @inline(__always) private mutating func growIfFull(_ term: Int) {
        let count = postings[term].count
        if count == postings[term].capacity { postings[term].reserveCapacity(count + max(4, count / 4)) }
    }

    /// Keeps the per-term counts and first posting in step with the list.
    @inline(__always) private mutating func noteChange(of term: Int, _ posting: UInt32, added: Bool) {
        if added {
            postingCounts[term] += 1
            if posting & 1 == 0 { titlePostingCounts[term] += 1 }
        } else {
            postingCounts[term] -= 1
            if posting & 1 == 0 { titlePostingCounts[term] -= 1 }
        }
        firstPostings[term] = postings[term].first ?? .max
    }

    /// The first position in `list` whose posting is `posting` or above.
    @inline(__always) static func lowerBound(_ list: [UInt32], _ posting: UInt32) -> Int {
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            if list[middle] < posting { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
