/// A 64-bit hash that is the same in every process and on every run, unlike `Hasher`, which is
/// seeded per process. FNV-1a over the bytes, finished with the MurmurHash3 avalanche.
public enum StableHash {
    public static func hash(_ bytes: [UInt8], seed: UInt64 = 0) -> UInt64 {
        var state: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for byte in bytes {
            state ^= UInt64(byte)
            state &*= 0x0000_0100_0000_01b3
        }
        return finish(state)
    }

    @inline(__always) public static func finish(_ value: UInt64) -> UInt64 {
        var h = value
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }
}
