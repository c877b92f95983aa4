import Foundation
import Engine

/// A generated catalog with a realistic vocabulary: words are built from syllables, and drawn
/// from a lexicon by a Zipf law (rank r with probability proportional to 1 / r^s), the
/// shortest words the most frequent, as in real titles. Titles have 2–8 words, authors a first
/// name and a surname (each from its own lexicon), ISBNs are valid ISBN-13s, a fifth of them
/// written with hyphens. About 3 % of words carry an accent (é for e) in the text.
struct SyntheticCatalog {
    struct Entry {
        var title: String
        var author: String
        var isbn: String
        /// The title's words and the surname as generated, for queries.
        var titleWords: [Int]
        var surname: Int
    }

    let words: [String]
    let firstNames: [String]
    let surnames: [String]
    private let wordRanks: ZipfSampler
    private let firstNameRanks: ZipfSampler
    private let surnameRanks: ZipfSampler

    init(lexicon: Int, exponent: Double, random: inout SplitMix64) {
        words = Self.lexicon(lexicon, random: &random)
        firstNames = Self.lexicon(max(100, lexicon / 16), random: &random).map(Self.capitalized)
        surnames = Self.lexicon(max(100, lexicon / 2), random: &random).map(Self.capitalized)
        wordRanks = ZipfSampler(count: words.count, exponent: exponent)
        firstNameRanks = ZipfSampler(count: firstNames.count, exponent: exponent)
        surnameRanks = ZipfSampler(count: surnames.count, exponent: exponent)
    }

    func entry(_ index: Int, random: inout SplitMix64) -> Entry {
        let count = Int.random(in: 2...8, using: &random)
        var titleWords: [Int] = []
        var title = ""
        for position in 0..<count {
            let word = wordRanks.next(&random)
            titleWords.append(word)
            if position > 0 { title += position == 2 && random.next() % 5 == 0 ? ": " : " " }
            var text = words[word]
            if random.next() % 33 == 0, let e = text.firstIndex(of: "e") { text.replaceSubrange(e...e, with: "é") }
            title += position == 0 ? Self.capitalized(text) : text
        }
        let surname = surnameRanks.next(&random)
        let author = firstNames[firstNameRanks.next(&random)] + " " + surnames[surname]
        return Entry(title: title, author: author, isbn: Self.isbn(&random), titleWords: titleWords, surname: surname)
    }

    /// A valid ISBN-13 (978 or 979), sometimes hyphenated as printed.
    static func isbn(_ random: inout SplitMix64) -> String {
        var digits = [9, 7, random.next() % 4 == 0 ? 9 : 8]
        for _ in 0..<9 { digits.append(Int(random.next() % 10)) }
        var sum = 0
        for (position, digit) in digits.enumerated() { sum += (position % 2 == 0 ? 1 : 3) * digit }
        digits.append((10 - sum % 10) % 10)
        let text = digits.map(String.init).joined()
        guard random.next() % 5 == 0 else { return text }
        let characters = Array(text)
        return [characters[0..<3], characters[3..<4], characters[4..<7], characters[7..<12], characters[12..<13]].map { String($0) }.joined(separator: "-")
    }

    /// `count` distinct words of one to four syllables, shortest first.
    static func lexicon(_ count: Int, random: inout SplitMix64) -> [String] {
        let onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br", "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr", ""]
        let vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "y"]
        let codas = ["", "", "", "n", "r", "s", "t", "l", "nd", "st", "ng", "m"]
        var seen: Set<String> = []
        var words: [String] = []
        while words.count < count {
            let syllables = 1 + Int(random.next() % 100 < 20 ? 0 : random.next() % 100 < 55 ? 1 : random.next() % 100 < 75 ? 2 : 3)
            var word = ""
            for _ in 0..<syllables {
                word += onsets[Int(random.next() % UInt64(onsets.count))] + vowels[Int(random.next() % UInt64(vowels.count))]
            }
            word += codas[Int(random.next() % UInt64(codas.count))]
            if seen.insert(word).inserted { words.append(word) }
        }
        return words.enumerated().sorted { ($0.element.count, $0.offset) < ($1.element.count, $1.offset) }.map(\.element)
    }

    static func capitalized(_ word: String) -> String { word.prefix(1).uppercased() + word.dropFirst() }
}

/// Draws ranks 0..<count with probability proportional to 1 / (rank + 1)^exponent, by binary
/// search in the cumulative distribution.
struct ZipfSampler {
    private let cumulative: [Double]

    init(count: Int, exponent: Double) {
        var total = 0.0
        var cumulative: [Double] = []
        cumulative.reserveCapacity(count)
        for rank in 1...count {
            total += 1 / pow(Double(rank), exponent)
            cumulative.append(total)
        }
        self.cumulative = cumulative.map { $0 / total }
    }

    func next(_ random: inout SplitMix64) -> Int {
        let target = Double(random.next() >> 11) / Double(1 << 53)
        var low = 0
        var high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
