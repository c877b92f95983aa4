import Engine

/// The items and members of a seeded library, as a pure function of the scenario and the seed.
///
/// Items: a third of the catalog never circulates (the dead long tail); the rest have a
/// Zipf-like popularity, weight 1 / (rank + 60), so that a few bestsellers lead (the top one
/// draws about 0.2 % of all loans) and the top 1 % of circulating titles draws about 40 %.
/// Copies follow demand: a title gets enough for the loans it has out at once on an average
/// day, plus a margin, between 1 and 40. Members fall into four activity classes — heavy
/// (4 %), regular (20 %), casual (46 %), inactive (30 %) — with borrowing weights 40, 12, 3 and
/// 0.1 (each jittered by up to ±50 %) and their own share of premium cards and of late returns.
struct SeedCatalog {
    enum Activity: Int, CaseIterable {
        case heavy, regular, casual, inactive

        var share: Double { [0.04, 0.20, 0.46, 0.30][rawValue] }
        var weight: Double { [40, 12, 3, 0.1][rawValue] }
        var premiumShare: Double { [0.40, 0.20, 0.10, 0.05][rawValue] }
        /// Relative chance of returning late; scaled so that about 12 % of all loans are late.
        var lateness: Double { [0.75, 0.95, 1.2, 1.6][rawValue] }
        var name: String { ["heavy", "regular", "casual", "inactive"][rawValue] }
    }

    static let circulatingShare = 0.65
    static let popularityOffset = 60.0
    static let lateShare = 0.12

    let scenario: SeedScenario
    let seed: UInt64
    /// Per item index: popularity weight (0: never borrowed), copies, type.
    private(set) var itemWeights: [Double] = []
    private(set) var copies: [Int32] = []
    private(set) var itemTypes: [ItemType] = []
    /// Per member index.
    private(set) var activity: [Activity] = []
    private(set) var memberWeights: [Double] = []
    private(set) var premium: [Bool] = []
    /// Per activity class: the chance that one of its loans comes back late.
    private(set) var lateChance: [Double] = []

    init(scenario: SeedScenario, seed: UInt64) {
        self.scenario = scenario
        self.seed = seed
        var random = SplitMix64(seed: seed ^ 0x17E3_5C0F_FEE0_0001)
        // Popularity: a random rank per item; ranks beyond the circulating share never circulate.
        var ranks = Array(0..<scenario.items)
        ranks.shuffle(using: &random)
        let circulating = max(1, Int(Double(scenario.items) * Self.circulatingShare))
        itemWeights = ranks.map { $0 < circulating ? 1 / (Double($0) + Self.popularityOffset) : 0 }
        let totalWeight = itemWeights.reduce(0, +)
        // Loans out on an average day: loans per day x about 16 days out each.
        let outPerDay = Double(scenario.loans) / Double(scenario.historyDays) * 16
        copies = itemWeights.map { weight in
            let demand = weight / totalWeight * outPerDay
            return Int32(min(40, max(1, (demand * 1.3).rounded(.up))))
        }
        itemTypes = (0..<scenario.items).map { _ in
            let roll = random.next() % 100
            return roll < 82 ? .book : roll < 95 ? .media : .periodical
        }
        // Members.
        for _ in 0..<scenario.members {
            let roll = Double(random.next() % 10_000) / 10_000
            var cumulative = 0.0
            var chosen = Activity.inactive
            for candidate in Activity.allCases {
                cumulative += candidate.share
                if roll < cumulative {
                    chosen = candidate
                    break
                }
            }
            activity.append(chosen)
            let jitter = 0.5 + Double(random.next() % 1000) / 1000
            memberWeights.append(chosen.weight * jitter)
            premium.append(Double(random.next() % 1000) / 1000 < chosen.premiumShare)
        }
        // Late chance per class, so that the loan-weighted average is `lateShare`.
        var loanShare = [Double](repeating: 0, count: Activity.allCases.count)
        for (index, member) in activity.enumerated() { loanShare[member.rawValue] += memberWeights[index] }
        let total = loanShare.reduce(0, +)
        let average = Activity.allCases.reduce(0.0) { $0 + loanShare[$1.rawValue] / total * $1.lateness }
        lateChance = Activity.allCases.map { Self.lateShare * $0.lateness / average }
    }

    // MARK: Records

    /// A valid ISBN-13 (978 prefix) for item `index`.
    func isbn(_ index: Int) -> String {
        var digits = [9, 7, 8]
        var value = (index &+ Int(truncatingIfNeeded: seed % 1_000_000)) % 1_000_000_000
        var body = [Int](repeating: 0, count: 9)
        for position in stride(from: 8, through: 0, by: -1) {
            body[position] = value % 10
            value /= 10
        }
        digits += body
        var sum = 0
        for (position, digit) in digits.enumerated() { sum += (position % 2 == 0 ? 1 : 3) * digit }
        digits.append((10 - sum % 10) % 10)
        return String(digits.map { Character(String($0)) })
    }

    static let publishers = ["Penguin", "Vintage", "Faber", "Gallimard", "Suhrkamp", "Plenum", "Orbit", "Tor", "Picador", "Granta"]

    func itemDraft(_ index: Int) -> ItemDraft {
        ItemDraft(
            isbn: isbn(index), title: "Title \(index)", author: "Author \(index % 40_000)", publisher: Self.publishers[index % Self.publishers.count],
            year: Int32(1950 + (index * 7919) % 76), type: itemTypes[index], copies: copies[index])
    }

    func memberDraft(_ index: Int, expiryDay: Int32) -> MemberDraft {
        MemberDraft(
            email: "m\(index).s\(seed)@seed.example", name: "Member \(index)", tier: premium[index] ? "premium" : "standard",
            cardExpiryDay: expiryDay + Int32(index % 1460))
    }

    /// Loan days by tier, as the default policies give them (the due time is sent explicitly).
    func loanDays(member index: Int) -> Int32 { premium[index] ? 28 : 14 }
}
