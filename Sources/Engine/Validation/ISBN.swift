/// ISBN-10 and ISBN-13 check-digit validation. Hyphens and spaces are ignored; the canonical
/// form keeps digits (and a final X for ISBN-10) only.
public enum ISBN {
    /// The canonical form of a valid ISBN, or nil.
    public static func normalized(_ text: String) -> String? {
        var digits: [UInt8] = []
        digits.reserveCapacity(13)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digits.append(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "X"), UInt8(ascii: "x"): digits.append(10)
            case UInt8(ascii: "-"), UInt8(ascii: " "): continue
            default: return nil
            }
            if digits.count > 13 { return nil }
        }
        switch digits.count {
        case 10:
            // Weights 10...1; only the check digit may be X (10).
            guard !digits.dropLast().contains(10) else { return nil }
            var sum = 0
            for (index, digit) in digits.enumerated() { sum += (10 - index) * Int(digit) }
            guard sum % 11 == 0 else { return nil }
        case 13:
            guard !digits.contains(10) else { return nil }
            var sum = 0
            for (index, digit) in digits.enumerated() { sum += (index % 2 == 0 ? 1 : 3) * Int(digit) }
            guard sum % 10 == 0 else { return nil }
        default:
            return nil
        }
        return String(decoding: digits.map { $0 == 10 ? UInt8(ascii: "X") : $0 + UInt8(ascii: "0") }, as: UTF8.self)
    }

    public static func isValid(_ text: String) -> Bool { normalized(text) != nil }
}
