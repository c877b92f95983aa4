/// Diacritic folding for the Latin letters catalogs meet most: Latin-1 Supplement, Latin
/// Extended-A and -B (U+00C0–U+024F) and Latin Extended Additional (U+1E00–U+1EFF). Each table
/// holds one character per scalar, derived from the scalar's canonical decomposition (its base
/// letter, lowercased): a letter or digit is what the scalar folds to, a space marks a
/// separator (× ÷), `*` a letter that folds to two (see `pair`), and `.` a letter with no
/// ASCII base, which is kept (lowercased) as it is.
enum LatinFolding {
    enum Folded {
        case separator
        case one(UInt8)
        case two(UInt8, UInt8)
        case keep
    }

    @inline(__always) static func fold(_ value: UInt32) -> Folded {
        if value >= 0xC0 && value < 0x250 { return decode(latin, at: Int(value - 0xC0), value) }
        if value >= 0x1E00 && value < 0x1F00 { return decode(additional, at: Int(value - 0x1E00), value) }
        return .keep
    }

    @inline(__always) private static func decode(_ table: [UInt8], at index: Int, _ value: UInt32) -> Folded {
        switch table[index] {
        case UInt8(ascii: " "): return .separator
        case UInt8(ascii: "."): return .keep
        case UInt8(ascii: "*"): return pair(value)
        case let byte: return .one(byte)
        }
    }

    /// Æ æ → ae, Þ þ → th, ß ẞ → ss, Ĳ ĳ → ij, Œ œ → oe.
    private static func pair(_ value: UInt32) -> Folded {
        switch value {
        case 0xC6, 0xE6: .two(UInt8(ascii: "a"), UInt8(ascii: "e"))
        case 0xDE, 0xFE: .two(UInt8(ascii: "t"), UInt8(ascii: "h"))
        case 0xDF, 0x1E9E: .two(UInt8(ascii: "s"), UInt8(ascii: "s"))
        case 0x132, 0x133: .two(UInt8(ascii: "i"), UInt8(ascii: "j"))
        case 0x152, 0x153: .two(UInt8(ascii: "o"), UInt8(ascii: "e"))
        default: .keep
        }
    }

    /// U+00C0–U+024F.
    private static let latin: [UInt8] = Array((
        "aaaaaa*ceeeeiiiidnooooo ouuuuy**aaaaaa*ceeeeiiiidnooooo ouuuuy*y"
            + "aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiii**jjkkklllllll"
            + "lllnnnnnnnnnoooooo**rrrrrrssssssssttttttuuuuuuuuuuuuwwyyyzzzzzzs"
            + "................................oo.............uu..............."
            + ".............aaiioouuuuuuuuuu.aaaa....ggkkoooo..j...gg..nnaa...."
            + "aaaaeeeeiiiioooorrrruuuusstt..hh......aaeeooooooooyy............"
            + "................"
    ).utf8)

    /// U+1E00–U+1EFF.
    private static let additional: [UInt8] = Array((
        "aabbbbbbccddddddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmm"
            + "mmmmnnnnnnnnoooooooopppprrrrrrrrssssssssssttttttttuuuuuuuuuuvvvv"
            + "wwwwwwwwwwxxxxyyzzzzzzhtwy....*.aaaaaaaaaaaaaaaaaaaaaaaaeeeeeeee"
            + "eeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyy......"
    ).utf8)
}
