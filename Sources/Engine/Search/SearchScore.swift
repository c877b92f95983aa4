/// How well one query word matches an item, best last: the kind of match (exact word, prefix,
/// typo) first, then the field (title above author). The raw value is the rank of the level:
/// a title level is even, an author level odd.
enum MatchLevel {
    static let none: UInt8 = 0
    static let typoAuthor: UInt8 = 1
    static let typoTitle: UInt8 = 2
    static let prefixAuthor: UInt8 = 3
    static let prefixTitle: UInt8 = 4
    static let exactAuthor: UInt8 = 5
    static let exactTitle: UInt8 = 6

    /// Match kinds, as used by `level(kind:field:)`.
    static let typo: UInt8 = 1
    static let prefix: UInt8 = 2
    static let exact: UInt8 = 3

    @inline(__always) static func level(kind: UInt8, field: UInt32) -> UInt8 { kind &* 2 &- UInt8(truncatingIfNeeded: field) }
    @inline(__always) static func isTitle(_ level: UInt8) -> Bool { level & 1 == 0 }
    @inline(__always) static func kind(of level: UInt8) -> UInt8 { (level &+ 1) >> 1 }
    @inline(__always) static func field(of level: UInt8) -> UInt32 { UInt32(level & 1) }
}

/// The points of the ranking rules (see `CatalogIndex`). Scores depend only on the query and
/// the item's own text, never on the rest of the catalog, so that the shards' scores compare.
public enum SearchScore {
    /// Points per match level: an exact title word 60, an exact author word 50, a title prefix
    /// 40, an author prefix 30, a title typo 20, an author typo 10.
    public static let pointsPerLevel: Int32 = 10
    /// Added when every query word's best match is in the title.
    public static let titleBonus: Int32 = 5
    /// The query is the start of the item's ISBN (and not all of it).
    public static let isbnPrefix: Int32 = 500
    /// The query is the item's whole ISBN.
    public static let isbnExact: Int32 = 1000
    /// The highest score words can reach, below any ISBN match.
    public static let wordsMax = Int32(SearchLimits.queryWordsMax) * Int32(MatchLevel.exactTitle) * pointsPerLevel + titleBonus

    static func points(_ level: UInt8) -> Int32 { Int32(level) * pointsPerLevel }
}
