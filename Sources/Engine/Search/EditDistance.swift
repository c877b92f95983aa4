/// Typo distance: the optimal string alignment distance between two words, in characters.
/// One edit inserts, deletes or replaces a character, or swaps two adjacent ones (Damerau's
/// transposition); no character is edited twice.
enum EditDistance {
    /// True when `a` and `b` are at most `limit` edits apart. Words are normalized UTF-8
    /// (at most `SearchLimits.wordBytesMax` bytes); ASCII words are compared byte by byte.
    static func isWithin(_ limit: Int, _ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        if SearchText.isASCII(a) && SearchText.isASCII(b) { return isWithin(limit, elements: a, b) }
        let first = Array(String(decoding: a, as: UTF8.self).unicodeScalars.map(\.value))
        let second = Array(String(decoding: b, as: UTF8.self).unicodeScalars.map(\.value))
        return first.withUnsafeBufferPointer { first in
            second.withUnsafeBufferPointer { second in isWithin(limit, elements: first, second) }
        }
    }

    /// The dynamic programme over three rows, stopping as soon as a whole row exceeds `limit`.
    private static func isWithin<Element: Equatable>(_ limit: Int, elements a: UnsafeBufferPointer<Element>, _ b: UnsafeBufferPointer<Element>) -> Bool {
        let n = a.count
        let m = b.count
        if abs(n - m) > limit { return false }
        if n == 0 || m == 0 { return max(n, m) <= limit }
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: 3 * (m + 1)) { rows in
            var before = rows.baseAddress!
            var previous = before + (m + 1)
            var current = previous + (m + 1)
            for j in 0...m { previous[j] = j }
            for i in 1...n {
                current[0] = i
                var rowMinimum = i
                let character = a[i - 1]
                for j in 1...m {
                    var value = previous[j - 1] + (character == b[j - 1] ? 0 : 1)
                    value = min(value, previous[j] + 1, current[j - 1] + 1)
                    if i > 1 && j > 1 && character == b[j - 2] && a[i - 2] == b[j - 1] {
                        value = min(value, before[j - 2] + 1)
                    }
                    current[j] = value
                    rowMinimum = min(rowMinimum, value)
                }
                if rowMinimum > limit { return false }
                (before, previous, current) = (previous, current, before)
            }
            return previous[m] <= limit
        }
    }
}
