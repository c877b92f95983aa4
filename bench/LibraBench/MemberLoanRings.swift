import Engine

/// A driver's bookkeeping per member: the last round that took the member, and its active loans,
/// oldest first, in a ring. One flat allocation, `1 + ringSlots` words per entry: with 7 slots an
/// entry is one 64-byte line, where three arrays (rounds, ring heads, rings) cost the engine
/// workload's driver three cache misses a cycle on the cores the engine runs on.
final class MemberLoanRings {
    /// Slots that make an entry exactly one 64-byte line.
    static let lineRingSlots = 7

    let ringSlots: Int
    /// What cache warming read (`MemberDraws`); kept only so that its loads stay.
    var touchChecksum: UInt32 = 0
    private let wordsPerEntry: Int
    /// Per entry: the round (bits 0-31), the ring's head (32-47) and length (48-63), then the ring.
    private let words: UnsafeMutablePointer<UInt64>

    init(entries: Int, ringSlots: Int) {
        precondition((1...Int(UInt16.max)).contains(ringSlots), "a ring keeps 1...\(UInt16.max) loans (its head and length are 16 bits)")
        self.ringSlots = ringSlots
        wordsPerEntry = 1 + ringSlots
        let raw = UnsafeMutableRawPointer.allocate(byteCount: entries * wordsPerEntry * 8, alignment: 64)
        words = raw.initializeMemory(as: UInt64.self, repeating: 0, count: entries * wordsPerEntry)
    }

    deinit { words.deallocate() }

    func busyRound(_ entry: Int) -> UInt32 { UInt32(truncatingIfNeeded: words[entry * wordsPerEntry]) }

    func setBusyRound(_ entry: Int, _ round: UInt32) {
        words[entry * wordsPerEntry] = words[entry * wordsPerEntry] & ~0xffff_ffff | UInt64(round)
    }

    func loanCount(_ entry: Int) -> Int { Int(words[entry * wordsPerEntry] >> 48) }

    private func head(_ entry: Int) -> Int { Int(words[entry * wordsPerEntry] >> 32 & 0xffff) }

    private func setRing(_ entry: Int, head: Int, count: Int) {
        words[entry * wordsPerEntry] = words[entry * wordsPerEntry] & 0xffff_ffff | UInt64(head) << 32 | UInt64(count) << 48
    }

    /// The ring position `steps` after `head`, without a division.
    private func slot(_ head: Int, plus steps: Int) -> Int {
        let position = head + steps
        return position >= ringSlots ? position - ringSlots : position
    }

    func pushNewest(_ loan: LoanID, member entry: Int) {
        let (first, count) = (head(entry), loanCount(entry))
        precondition(count < ringSlots, "entry \(entry) has more loans than its ring of \(ringSlots) keeps")
        words[entry * wordsPerEntry + 1 + slot(first, plus: count)] = loan.rawValue
        setRing(entry, head: first, count: count + 1)
    }

    /// The oldest loan, left in the ring.
    func oldest(member entry: Int) -> LoanID {
        precondition(loanCount(entry) > 0, "entry \(entry) has no loan")
        return LoanID(words[entry * wordsPerEntry + 1 + head(entry)])
    }

    @discardableResult
    func popOldest(member entry: Int) -> LoanID {
        let loan = oldest(member: entry)
        setRing(entry, head: slot(head(entry), plus: 1), count: loanCount(entry) - 1)
        return loan
    }
}
