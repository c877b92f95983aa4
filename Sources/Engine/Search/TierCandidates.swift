/// Where one tier's candidates come from, a window at a time and in slot order (which is what
/// lets a tier stop early): the driver word's posting lists for the tier; the search's
/// `CandidateFilter`, once it admits far fewer items than the tier has postings; or every slot
/// in turn, for a one-word query whose tier is dense and spread over many lists (a short
/// prefix), where reading a few hundred items' own terms costs less than visiting thousands of
/// lists. Scoring checks that a candidate belongs to the tier, whatever its source.
struct TierCandidates {
    private enum Source {
        case lists
        case filter
        case slots
    }

    /// A walk over every slot is worth it from this share of items in the tier (1 in 32).
    static let walkShareMin = 32

    private var source: Source
    private var stream: TierStream?
    private let terms: [UInt32]
    private let field: UInt32
    private let postingsInTier: Int
    private let wanted: Int
    /// The first slot not read yet, for the filter and the walk.
    private var next: Int
    private var walkWidth: Int

    init(terms: [UInt32], field: UInt32, from start: UInt32, postingsInTier: Int, wanted: Int, words: Int, index: CatalogIndex) {
        self.terms = terms
        self.field = field
        self.postingsInTier = postingsInTier
        self.wanted = wanted
        next = Int(start)
        let slotCount = index.slots.count
        walkWidth = max(64, 2 * wanted * slotCount / max(1, postingsInTier))
        if words == 1 && terms.count > 64 && postingsInTier * Self.walkShareMin >= slotCount {
            source = .slots
        } else {
            source = .lists
            stream = TierStream(terms: terms, field: field, from: start, index: index, expected: postingsInTier, wanted: wanted)
        }
    }

    /// Replaces `slots` with the next window's candidates; false when the tier is read.
    mutating func next(into slots: inout [UInt32], filter: CandidateFilter?, index: CatalogIndex) -> Bool {
        slots.removeAll(keepingCapacity: true)
        if source == .lists, let stream, let filter, filter.count * 4 < postingsInTier {
            next = stream.nextSlot
            source = .filter
            self.stream = nil
        }
        switch source {
        case .lists:
            return stream!.next(into: &slots, postings: index.postings)
        case .filter:
            guard next < index.slots.count, let filter else { return false }
            let end = min(next + TierStream.windowWidthMax, index.slots.count)
            filter.appendSlots(in: next..<end, to: &slots)
            next = end
            return true
        case .slots:
            guard next < index.slots.count else { return false }
            let end = min(next + walkWidth, index.slots.count)
            for slot in next..<end { slots.append(UInt32(slot)) }
            next = end
            walkWidth = min(2 * walkWidth, TierStream.windowWidthMax)
            return true
        }
    }

    /// After a window of the walk over every slot: when it found too few of the tier's items,
    /// the rest of the tier is read from the lists.
    mutating func noteWindow(found: Int, read: Int, index: CatalogIndex) {
        guard source == .slots, found * Self.walkShareMin < read else { return }
        source = .lists
        stream = TierStream(terms: terms, field: field, from: UInt32(next), index: index, expected: postingsInTier, wanted: wanted)
    }
}
