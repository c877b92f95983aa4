import Engine

/// One historical loan, by dataset indices (the server's ids are looked up when it is sent).
struct SeedLoan {
    var member: Int
    var item: Int
    var checkedOutAt: Int64
    var dueAt: Int64
    /// `Int64.min` while the loan is still out.
    var returnedAt: Int64
    var fineOwed: Bool
}

/// The loan history, generated day by day in time order from the seed, so that loan ids rise
/// with checkout times as in a library that has run for years.
///
/// Each day's share of the loans follows the season (busy January and summer, a quiet
/// December) and the weekday (busy Saturdays, quiet Sundays); checkouts fall in opening hours.
/// Members and items are drawn by weight (`SeedCatalog`). A loan comes back on time on a day
/// up to its due day, or late (about 12 % of loans, more for casual members) by a number of
/// days with a long tail; the fine is left to the server's policy to compute, and counts as
/// owed only for late returns in the last 180 days (older ones were paid). Loans whose return
/// would fall after the end date are still out, if the item has a copy free and the member
/// does not already hold it; otherwise they came back just before the end.
struct SeedHistory {
    static let monthWeights = [1.10, 1.00, 1.00, 0.95, 0.90, 1.15, 1.30, 1.25, 1.00, 1.00, 0.95, 0.75]
    /// Sunday first (day 0 of the epoch was a Thursday).
    static let weekdayWeights = [0.55, 1.00, 1.05, 1.05, 1.05, 1.00, 1.30]
    static let openingMillis: ClosedRange<Int64> = 9 * 3_600_000...20 * 3_600_000 - 1
    static let owedWindowDays: Int32 = 180

    let catalog: SeedCatalog
    /// The history ends at the start of this day (UTC): every time is before it.
    let endDay: Int32
    private let firstDay: Int32
    private let dayLoans: [Double]
    private var day: Int32
    private var leftToday = 0
    private var carry = 0.0
    private var random: SplitMix64
    private var pairs: SplitMix64
    private let items: AliasTable
    private let members: AliasTable
    private var outPerItem: [Int32]
    private var holding: Set<UInt64> = []
    /// Members and items drawn ahead, in a tight loop: each draw is a cache miss in a table of
    /// megabytes, and drawn together they overlap instead of waiting one after another.
    private var drawn: [(member: Int32, item: Int32)] = []
    private var nextDrawn = 0

    private(set) var produced = 0
    private(set) var active = 0
    private(set) var late = 0
    private(set) var owed = 0
    /// Loans that would still be out but found no free copy (or a duplicate), and were ended.
    private(set) var endedEarly = 0

    init(catalog: SeedCatalog, endDay: Int32) {
        self.catalog = catalog
        self.endDay = endDay
        let scenario = catalog.scenario
        firstDay = endDay - Int32(scenario.historyDays)
        var weights: [Double] = []
        for day in firstDay..<endDay {
            let date = CivilDate(day: day)
            weights.append(Self.monthWeights[Int(date.month) - 1] * Self.weekdayWeights[Int((day % 7 + 7 + 4) % 7)])
        }
        let total = weights.reduce(0, +)
        dayLoans = weights.map { $0 / total * Double(scenario.loans) }
        day = firstDay
        random = SplitMix64(seed: catalog.seed ^ 0x4C0A_4E5_0000_0002)
        pairs = SplitMix64(seed: catalog.seed ^ 0x9A12_5000_0000_0003)
        items = AliasTable(catalog.itemWeights)
        members = AliasTable(catalog.memberWeights)
        outPerItem = [Int32](repeating: 0, count: scenario.items)
    }

    var isFinished: Bool { day >= endDay && leftToday == 0 }

    mutating func next() -> SeedLoan? {
        while leftToday == 0 {
            guard day < endDay else { return nil }
            let expected = dayLoans[Int(day - firstDay)] + carry
            leftToday = Int(expected)
            carry = expected - Double(leftToday)
            if leftToday == 0 { day += 1 }
        }
        leftToday -= 1
        let today = day
        if leftToday == 0 { day += 1 }

        if nextDrawn == drawn.count { drawAhead() }
        let (member, item) = (Int(drawn[nextDrawn].member), Int(drawn[nextDrawn].item))
        nextDrawn += 1
        let checkedOut = Int64(today) * Timestamp.millisecondsPerDay + uniform(Self.openingMillis)
        let dueDay = today + catalog.loanDays(member: member)
        let dueAt = Int64(dueDay + 1) * Timestamp.millisecondsPerDay - 1
        var returnDay: Int32
        if Double(random.next() >> 11) / Double(1 << 53) < catalog.lateChance[catalog.activity[member].rawValue] {
            var daysLate: Int32 = 1
            while daysLate < 120 && below(100) < 85 { daysLate += 1 }
            returnDay = dueDay + daysLate
        } else {
            returnDay = today + 1 + Int32(below(UInt64(dueDay - today)))
        }
        var returnedAt = Int64(returnDay) * Timestamp.millisecondsPerDay + uniform(Self.openingMillis)
        let end = Int64(endDay) * Timestamp.millisecondsPerDay
        if returnedAt >= end {
            let key = UInt64(member) << 32 | UInt64(item)
            if outPerItem[item] < catalog.copies[item], !holding.contains(key) {
                outPerItem[item] += 1
                holding.insert(key)
                returnedAt = Int64.min
                active += 1
            } else {
                returnedAt = max(checkedOut, end - 1 - uniform(0...3_599_999))
                returnDay = Int32(returnedAt / Timestamp.millisecondsPerDay)
                endedEarly += 1
            }
        }
        var fineOwed = false
        if returnedAt != Int64.min && returnedAt > dueAt {
            late += 1
            if returnDay >= endDay - Self.owedWindowDays {
                fineOwed = true
                owed += 1
            }
        }
        produced += 1
        return SeedLoan(member: member, item: item, checkedOutAt: checkedOut, dueAt: dueAt, returnedAt: returnedAt, fineOwed: fineOwed)
    }

    private mutating func drawAhead() {
        drawn.removeAll(keepingCapacity: true)
        // A stream of its own, so that the other draws do not depend on how many are made ahead.
        for _ in 0..<256 { drawn.append((Int32(members.draw(&pairs)), Int32(items.draw(&pairs)))) }
        nextDrawn = 0
    }

    private mutating func uniform(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(below(UInt64(range.upperBound - range.lowerBound + 1)))
    }

    /// A number in 0..<bound, by multiplying (Lemire): no division on the generator's hot path.
    @inline(__always) private mutating func below(_ bound: UInt64) -> UInt64 {
        random.next().multipliedFullWidth(by: bound).high
    }
}
