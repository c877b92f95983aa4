import Engine

/// Draws an index with probability proportional to its weight in O(1) (Vose's alias method), so
/// that sampling millions of loans over a skewed catalog costs a few nanoseconds each.
struct AliasTable {
    /// Per slot: the threshold below which the slot itself is drawn, and its alias otherwise;
    /// side by side, so that a draw costs one cache miss.
    private var slots: [(threshold: UInt32, alias: UInt32)] = []

    /// `weights` must hold at least one positive weight; indices with weight 0 are never drawn.
    init(_ weights: [Double]) {
        let count = weights.count
        precondition(count > 0 && count < Int(UInt32.max), "alias table of \(count) weights")
        let total = weights.reduce(0, +)
        precondition(total > 0, "every weight is zero")
        var scaled = weights.map { $0 * Double(count) / total }
        var small: [Int] = []
        var large: [Int] = []
        for (index, value) in scaled.enumerated() { if value < 1 { small.append(index) } else { large.append(index) } }
        slots = (0..<count).map { (UInt32.max, UInt32($0)) }
        while let less = small.popLast(), let more = large.last {
            slots[less] = (UInt32(min(scaled[less], 1) * Double(UInt32.max)), UInt32(more))
            scaled[more] -= 1 - scaled[less]
            if scaled[more] < 1 {
                large.removeLast()
                small.append(more)
            }
        }
        // What remains is 1 up to rounding: always itself.
    }

    @inline(__always) func draw(_ random: inout SplitMix64) -> Int {
        let bits = random.next()
        // The high half picks the slot by multiplying (no division), the low half the side.
        let slot = Int(((bits >> 32) &* UInt64(slots.count)) >> 32)
        let entry = slots[slot]
        return UInt32(truncatingIfNeeded: bits) < entry.threshold ? slot : Int(entry.alias)
    }
}
