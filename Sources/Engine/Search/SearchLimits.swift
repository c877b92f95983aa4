/// Every bound catalog search works within, in one place. The engine's validation refuses a
/// query or a page size outside them before it reaches an index (`INVALID_FIELD`); an index
/// that is handed one anyway stays within them by reading only the allowed part, as stated on
/// each bound, so that no query can make a search unbounded.
public enum SearchLimits {
    /// Bytes of query text read; the rest is ignored.
    public static let queryBytesMax = 256
    /// Words of a query that take part; later words are ignored.
    public static let queryWordsMax = 8
    /// Hits a client may ask for in one page.
    public static let pageSizeRange: ClosedRange<Int> = 1...100
    /// Hits one index returns for one call: a page and one more, so that a coordinator that
    /// merges the shards' answers can tell whether another page follows. Larger limits are clamped.
    public static let hitsPerCallMax = pageSizeRange.upperBound + 1
    /// Bytes of one normalized word (UTF-8) that are indexed and compared; a longer word is cut
    /// at a character boundary, in items and queries alike, so it still matches itself.
    public static let wordBytesMax = 32
    /// Bytes of a title, an author and an ISBN read when indexing (the engine's own field limits).
    public static let titleBytesMax = Limits.titleBytesMax
    public static let authorBytesMax = Limits.authorBytesMax
    public static let isbnBytesMax = Limits.isbnBytesMax
    /// Distinct words indexed per field; later ones are not searchable.
    public static let titleWordsMax = 48
    public static let authorWordsMax = 16
    /// A word that is not the query's last matches as a prefix from this many characters
    /// (the last word always may: it is often still being typed).
    public static let prefixCharactersMin = 3
    /// A word of this many characters matches one typo away; of `twoTyposCharactersMin`, two.
    public static let oneTypoCharactersMin = 4
    public static let twoTyposCharactersMin = 8
    /// A query made of digits, X, hyphens and spaces is also looked up as the start of an ISBN
    /// when it holds this many characters or more (fewer would match a large part of a catalog).
    public static let isbnQueryCharactersMin = 6
    /// ISBN characters (digits and X) an index keeps per item; longer ISBNs are not searchable
    /// by ISBN (ISBN-13 has 13).
    public static let isbnCharactersMax = 16
    /// Items one index holds: positions are 31-bit numbers in its posting lists.
    public static let itemsMax = Int(Int32.max)
}
