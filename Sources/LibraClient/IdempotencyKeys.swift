import Engine
import Synchronization

/// Generates the keys a client attaches to mutations: `prefix-nonce-counter`, where the nonce is
/// 16 random hex digits drawn once per client and the counter counts up in hex. Unique across
/// clients with overwhelming probability, and at most 58 bytes (within `Limits.idempotencyKeyBytesMax`).
final class IdempotencyKeys: Sendable {
    private let stem: String
    private let counter = Atomic<UInt64>(0)

    init(prefix: String) {
        let nonce = UInt64.random(in: .min ... .max)
        let digits = String(nonce, radix: 16)
        stem = prefix + "-" + String(repeating: "0", count: 16 - digits.count) + digits + "-"
        precondition(stem.utf8.count + 16 <= Limits.idempotencyKeyBytesMax, "the key prefix is checked by the configuration")
    }

    func next() -> String {
        let (_, value) = counter.wrappingAdd(1, ordering: .relaxed)
        return stem + String(value, radix: 16)
    }
}
