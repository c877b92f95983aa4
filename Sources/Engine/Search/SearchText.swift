/// How text becomes searchable words, the same way for items and queries: letters are
/// lowercased and Latin diacritics folded (é → e, ß → ss, Ø → o), combining marks dropped, and
/// anything that is not a letter or a digit separates words. A word is kept as UTF-8 bytes, at
/// most `SearchLimits.wordBytesMax` of them (a longer word is cut at a character boundary).
enum SearchText {
    /// Calls `body` with each word of `text`, reading at most `bytesMax` bytes of it, until
    /// `body` returns false. The buffer is only valid during the call.
    static func forEachWord(in text: String, bytesMax: Int, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SearchLimits.wordBytesMax) { buffer in
            var word = WordBuffer(storage: buffer)
            var read = 0
            var going = true
            for scalar in text.unicodeScalars {
                let value = scalar.value
                read += value < 0x80 ? 1 : value < 0x800 ? 2 : value < 0x10000 ? 3 : 4
                if read > bytesMax { break }
                if value < 0x80 {
                    let byte = UInt8(truncatingIfNeeded: value)
                    switch byte {
                    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): word.append(byte)
                    case UInt8(ascii: "A")...UInt8(ascii: "Z"): word.append(byte | 0x20)
                    default: going = word.flush(body)
                    }
                } else {
                    switch LatinFolding.fold(value) {
                    case .one(let byte): word.append(byte)
                    case .two(let first, let second): word.append(first, second)
                    case .separator: going = word.flush(body)
                    case .keep: going = appendOther(scalar, to: &word, body)
                    }
                }
                if !going { return }
            }
            _ = word.flush(body)
        }
    }

    /// Letters and digits outside the folding tables are kept, lowercased; marks join the
    /// word they follow without adding to it; the rest separates words.
    private static func appendOther(_ scalar: Unicode.Scalar, to word: inout WordBuffer, _ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        let properties = scalar.properties
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark:
            return true
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .decimalNumber, .letterNumber, .otherNumber:
            if properties.changesWhenLowercased {
                for lower in properties.lowercaseMapping.unicodeScalars where !isMark(lower) { word.append(lower) }
            } else {
                word.append(scalar)
            }
            return true
        default:
            return word.flush(body)
        }
    }

    private static func isMark(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }

    /// The characters (Unicode scalars) of a normalized word.
    @inline(__always) static func characterCount(_ word: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in word where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }

    /// True when every byte is ASCII.
    @inline(__always) static func isASCII(_ word: UnsafeBufferPointer<UInt8>) -> Bool {
        for byte in word where byte >= 0x80 { return false }
        return true
    }
}

/// The word being read: bytes past the limit are dropped a whole character at a time.
private struct WordBuffer {
    let storage: UnsafeMutableBufferPointer<UInt8>
    var count = 0
    /// Set once a character does not fit: the rest of the word is dropped, so that a cut
    /// falls between two whole characters of the original word.
    var full = false

    @inline(__always) mutating func append(_ byte: UInt8) {
        guard !full, count < storage.count else { full = true; return }
        storage[count] = byte
        count += 1
    }

    mutating func append(_ first: UInt8, _ second: UInt8) {
        guard !full, count + 2 <= storage.count else { full = true; return }
        storage[count] = first
        storage[count + 1] = second
        count += 2
    }

    mutating func append(_ scalar: Unicode.Scalar) {
        let bytes = scalar.utf8
        guard !full, count + bytes.count <= storage.count else { full = true; return }
        for byte in bytes {
            storage[count] = byte
            count += 1
        }
    }

    /// Hands a finished word to `body`; false when `body` asks to stop.
    @inline(__always) mutating func flush(_ body: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        defer {
            count = 0
            full = false
        }
        guard count > 0 else { return true }
        return body(UnsafeBufferPointer(rebasing: storage[0..<count]))
    }
}
