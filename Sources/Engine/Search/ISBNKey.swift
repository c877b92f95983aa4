/// An ISBN as a search key: its digits and X (anything else, such as hyphens, is left out),
/// packed four bits a character from the top, so that the keys' numeric order is the text's
/// order and the keys starting with some characters form one contiguous range.
struct ISBNKey: Hashable, Sendable {
    /// Characters as nibbles 1...11 ("0"..."9", "X"); zero nibbles after the last character.
    let packed: UInt64
    let characterCount: Int

    /// The key of a stored ISBN, or nil when it has fewer characters than a query must
    /// have to reach it, or more than an index keeps.
    init?(stored text: String) {
        var packed: UInt64 = 0
        var count = 0
        for byte in text.utf8.prefix(SearchLimits.isbnBytesMax) {
            guard let nibble = Self.nibble(byte) else { continue }
            count += 1
            guard count <= SearchLimits.isbnCharactersMax else { return nil }
            packed |= nibble << UInt64(64 - 4 * count)
        }
        guard count >= SearchLimits.isbnQueryCharactersMin else { return nil }
        self.packed = packed
        self.characterCount = count
    }

    /// The key of a query that reads as an ISBN or the start of one: only digits, X, hyphens
    /// and spaces, with enough characters. Nil otherwise.
    init?(query text: String) {
        var packed: UInt64 = 0
        var count = 0
        for byte in text.utf8.prefix(SearchLimits.queryBytesMax) {
            if byte == UInt8(ascii: "-") || byte == UInt8(ascii: " ") { continue }
            guard let nibble = Self.nibble(byte) else { return nil }
            count += 1
            guard count <= SearchLimits.isbnCharactersMax else { return nil }
            packed |= nibble << UInt64(64 - 4 * count)
        }
        guard count >= SearchLimits.isbnQueryCharactersMin else { return nil }
        self.packed = packed
        self.characterCount = count
    }

    init(packed: UInt64) {
        self.packed = packed
        self.characterCount = (64 - packed.trailingZeroBitCount + 3) / 4
    }

    @inline(__always) private static func nibble(_ byte: UInt8) -> UInt64? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt64(byte - UInt8(ascii: "0") + 1)
        case UInt8(ascii: "x"), UInt8(ascii: "X"): 11
        default: nil
        }
    }

    /// The packed keys that start with this key: itself first.
    var prefixRange: ClosedRange<UInt64> { packed...(packed | (UInt64.max >> UInt64(4 * characterCount))) }

    /// True when `key` starts with this key.
    @inline(__always) func isPrefix(of key: UInt64) -> Bool { prefixRange.contains(key) }
}
