/// A deliberately plain e-mail check: one `@`, a non-empty local part of allowed characters, a
/// domain of dot-separated labels with at least one dot, no spaces, within RFC 5321 lengths.
public enum Email {
    /// The lowercased address, or nil when it is not a plausible address.
    public static func normalized(_ text: String) -> String? {
        // Length first, then ASCII only: Unicode case folding would map look-alikes (the Kelvin
        // sign) onto plain letters.
        guard text.utf8.count >= 3, text.utf8.count <= Limits.emailBytesMax, text.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        let bytes = text.utf8.map { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) ? $0 + 32 : $0 }
        let lowered = String(decoding: bytes, as: UTF8.self)
        guard let at = bytes.firstIndex(of: UInt8(ascii: "@")), bytes.lastIndex(of: UInt8(ascii: "@")) == at else { return nil }
        let local = bytes[..<at]
        let domain = bytes[(at + 1)...]
        guard !local.isEmpty, local.count <= 64, !domain.isEmpty else { return nil }
        guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: "."), !containsDoubleDot(local) else { return nil }
        for byte in local where !isLocalCharacter(byte) { return nil }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        for label in labels {
            guard !label.isEmpty, label.count <= 63, label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else { return nil }
            for byte in label where !isDomainCharacter(byte) { return nil }
        }
        return lowered
    }

    private static func containsDoubleDot(_ bytes: ArraySlice<UInt8>) -> Bool {
        zip(bytes, bytes.dropFirst()).contains { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }
    }

    private static func isLocalCharacter(_ byte: UInt8) -> Bool {
        isDomainCharacter(byte) || "._+!#$%&'*/=?^`{|}~".utf8.contains(byte)
    }

    private static func isDomainCharacter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-")
    }
}
