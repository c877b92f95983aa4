import CSodium

/// The few libsodium calls Libra uses: random bytes, keyed hashes, MACs and Argon2id.
enum Sodium {
    static let ready: Bool = sodium_init() >= 0

    static func randomBytes(_ count: Int) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        var bytes = [UInt8](repeating: 0, count: count)
        randombytes_buf(&bytes, count)
        return bytes
    }

    /// BLAKE2b-256 of `message` (tokens are stored only as this hash).
    static func hash(_ message: [UInt8]) -> [UInt8] {
        precondition(ready, "libsodium failed to initialise")
        var out = [UInt8](repeating: 0, count: 32)
        crypto_generichash(&out, 32, message, UInt64(message.count), nil, 0)
        return out
    }

    /// HMAC-SHA-512/256 of `message` under `key` (32 bytes).
    static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        precondition(key.count == Int(crypto_auth_KEYBYTES))
        var out = [UInt8](repeating: 0, count: Int(crypto_auth_BYTES))
        crypto_auth(&out, message, UInt64(message.count), key)
        return out
    }

    static func verify(_ tag: [UInt8], _ message: [UInt8], key: [UInt8]) -> Bool {
        guard tag.count == Int(crypto_auth_BYTES), key.count == Int(crypto_auth_KEYBYTES) else { return false }
        return crypto_auth_verify(tag, message, UInt64(message.count), key) == 0
    }

    /// Constant-time equality of two byte strings of equal length.
    static func equal(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        left.count == right.count && sodium_memcmp(left, right, left.count) == 0
    }

    /// An Argon2id hash in the PHC string format (`$argon2id$v=19$m=...`), with libsodium's
    /// interactive limits (2 passes, 64 MiB). Takes a noticeable fraction of a second: run it
    /// off the event loops (`hashPasswordOffLoop`).
    static func hashPassword(_ password: String) -> String? {
        precondition(ready, "libsodium failed to initialise")
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        let status = crypto_pwhash_str_alg(
            &out, password, UInt64(password.utf8.count), UInt64(crypto_pwhash_OPSLIMIT_INTERACTIVE), Int(crypto_pwhash_MEMLIMIT_INTERACTIVE),
            crypto_pwhash_ALG_ARGON2ID13)
        guard status == 0 else { return nil }
        return String(cString: out)
    }

    static func verifyPassword(_ password: String, hash: String) -> Bool {
        precondition(ready, "libsodium failed to initialise")
        return crypto_pwhash_str_verify(hash, password, UInt64(password.utf8.count)) == 0
    }
}

extension Array where Element == UInt8 {
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        self = bytes
    }
}
