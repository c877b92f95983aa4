/// Catalog search over title, author and ISBN: prefix and typo-tolerant, ranked, paginated
/// with a keyset cursor. One index holds the items of one shard; a query goes to every shard
/// and `merge` combines their pages (see `SearchHit` for the order).
///
/// ## Matching
/// - Text is read as words (`SearchText`): lowercase, Latin diacritics folded (é → e),
///   split on anything that is not a letter or a digit. Title and author words are indexed.
/// - An item matches when every query word matches a word of its title or author:
///   - exactly;
///   - as a prefix ("pot" → "potter"): the query's last word always, the others from
///     3 characters;
///   - within one typo from 4 characters ("potetr" → "potter"), two from 8. A typo inserts,
///     deletes or replaces one character or swaps two adjacent ones.
/// - A query of digits, X, hyphens and spaces with at least 6 of those characters also matches
///   the items whose ISBN (digits and X as stored, ISBN-10 or ISBN-13) starts with it, so
///   "978-0-306-40615-7" and "9780306406157" find the same book.
///
/// ## Ranking
/// Each query word earns the points of its best match in the item: an exact title word 60,
/// an exact author word 50, a title prefix 40, an author prefix 30, a title typo 20, an author
/// typo 10. An item whose best match for every word is in the title earns 5 more. An ISBN
/// match outranks any words: 1000 for the whole ISBN, 500 for its start. Equal scores are
/// ordered by item id. A score depends only on the query and the item's own text, never on the
/// rest of the catalog, so scores from different shards compare.
///
/// ## How it works
/// Each distinct word is a term, kept in byte order (a prefix is a range of terms) with a
/// posting list of the items that hold it, by position; an item's position follows its id, so
/// every list is in id order and a new item (the engine's ids only grow) appends. Typo
/// candidates come from deletion neighbourhoods (`TypoIndex`). A search resolves each query
/// word into its terms (`QueryPlan`), then reads its rarest word's postings tier by tier
/// (exact title, exact author, title prefix, ...) in id order, scores each candidate on all
/// words from the item's own terms, and stops as soon as no later candidate can enter the
/// page: with scores in a few discrete tiers, a page of common words is settled after a few
/// dozen candidates. When the words rarely meet, a bitmap of the other words' items rules
/// candidates out first (`CandidateFilter`). Figures at a million items are in
/// docs/benchmarks.md ("Catalog search").
///
/// ## Changes
/// `upsert` of a new item costs O(its words) amortized; changing an item touches only the
/// words that changed (an insertion or a removal inside each one's posting list, O(list
/// length)); a removed item leaves a hole that compaction reclaims once holes outnumber what
/// is held (O(size), amortized O(1) per change). An id below the largest the index holds that
/// it has never held costs a rebuild (O(size)): load items in any order with `init(_:)`,
/// which sorts them first. Limits are in `SearchLimits`.
///
/// The index is a value: a copy (a snapshot of a shard's state) shares its storage until one
/// side changes, and the first change after a copy copies the arrays it touches, the largest
/// ones whole (the term pool and the per-item arrays, tens of megabytes at a million items).
///
/// ## Beyond the first sketch
/// `search` takes `after` with a default and clamps `limit` to `SearchLimits.hitsPerCallMax`
/// (a page and one more, what a coordinator asks of each shard). `init(_:)` and
/// `upsert(_ item:)` take the engine's `Item`, for rebuilding from a snapshot.
/// `SearchCursor(after:)` and `SearchHit.ranks(before:)` state the order in one place, for
/// coordinators. `invariantViolations()` and `memoryBytes` are for tests and metrics.
public struct CatalogIndex: Sendable {
    var terms = TermDictionary()
    /// Per term: `slot << 1 | field` (title 0, author 1) for every item word, ascending.
    var postings: [[UInt32]] = []
    /// Per term, kept beside `postings` so that a search over thousands of terms (a short
    /// prefix) reads two dense arrays instead of thousands of list headers: how many postings,
    /// how many of them title postings, and the first posting (`UInt32.max` when none).
    var postingCounts: [UInt32] = []
    var titlePostingCounts: [UInt32] = []
    var firstPostings: [UInt32] = []
    /// Terms whose posting list is empty (items changed or removed); compaction drops them.
    var emptyTermCount = 0
    /// Per slot: the item id. Strictly ascending, so slot order is id order.
    var slotItems: [UInt64] = []
    var slots: [SlotRecord] = []
    /// Per slot: the packed ISBN key, 0 for none.
    var slotISBNs: [UInt64] = []
    /// Each slot's terms, title terms first: `slots[slot].termStart` onwards.
    var termPool: [UInt32] = []
    /// Entries of `termPool` no slot refers to any more.
    var termPoolGarbage = 0
    var isbns = ISBNIndex()
    /// Items held.
    public internal(set) var count = 0

    public init() {}

    /// An index of `items`, in any order (the last of equal ids wins).
    public init(_ items: some Sequence<Item>) {
        var entries = Array(items)
        // A stable sort keeps equal ids in input order, so the last one is upserted last.
        entries = entries.enumerated().sorted { ($0.element.id, $0.offset) < ($1.element.id, $1.offset) }.map(\.element)
        for item in entries { upsert(item) }
        terms.mergeUnsorted()
    }

    /// Bytes held by the index, counting each array's capacity (allocator overhead aside).
    public var memoryBytes: Int {
        var bytes = terms.memoryBytes + isbns.memoryBytes
        bytes += postings.capacity * 8 + (postingCounts.capacity + titlePostingCounts.capacity + firstPostings.capacity) * 4
        for list in postings where list.capacity > 0 { bytes += list.capacity * 4 + 32 }
        bytes += slotItems.capacity * 8 + slots.capacity * MemoryLayout<SlotRecord>.stride + slotISBNs.capacity * 8
        bytes += termPool.capacity * 4
        return bytes
    }

    var deadSlotCount: Int { slots.count - count }
}

/// Where one item's terms are, and whether the slot holds an item (a removed item's slot stays
/// until compaction, so that positions keep following ids).
struct SlotRecord: Sendable {
    var termStart: UInt32
    var titleCount: UInt8
    var authorCount: UInt8
    var isLive: Bool

    var termCount: Int { Int(titleCount) + Int(authorCount) }
}
