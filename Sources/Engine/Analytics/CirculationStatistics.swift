/// Counters moved by every event (by the statistics keeper on another thread for batches that
/// do not ask for analytics, by the coordinator otherwise and on replay) and rebuilt from a
/// snapshot's records: per item, member and day, so that every analytics answer is a walk over
/// dense arrays, never over loans. Each array is indexed by id (slot 0 unused) or by day.
struct CirculationStatistics: Sendable {
    private(set) var items: Int64 = 0
    private(set) var activeItems: Int64 = 0
    private(set) var copies: Int64 = 0
    private(set) var members: Int64 = 0
    private(set) var activeLoans: Int64 = 0
    private(set) var loansEver: Int64 = 0
    /// By item id (see `ItemCounters`): one record per item, so that an event touches one
    /// cache line for its item, not one per counter.
    private var itemCounters: [ItemCounters] = [ItemCounters()]
    private var memberBorrows: [UInt32] = [0]
    /// By day since 1970-01-01.
    private var checkoutsByDay: [UInt32] = []
    private var dueByDay: [Int32] = []
    /// By loan id: the due day of an active loan.
    private var loanDueDays = ChunkedArray<Int32>(repeating: 0, count: 1)

    /// An item's counters.
    struct ItemCounters: Sendable {
        /// Copies if circulating, -1 if withdrawn, 0 if no item has the id (or it has none).
        var copies: Int32 = 0
        var onLoan: Int32 = 0
        var borrows: UInt32 = 0
        var exists = false
    }

    mutating func grow(items limit: Int, members memberLimit: Int, loans loanLimit: Int) {
        if itemCounters.count < limit { itemCounters.append(contentsOf: repeatElement(ItemCounters(), count: limit - itemCounters.count)) }
        if memberBorrows.count < memberLimit { memberBorrows.append(contentsOf: repeatElement(0, count: memberLimit - memberBorrows.count)) }
        if loanDueDays.count < loanLimit { loanDueDays.append(contentsOf: repeatElement(0, count: loanLimit - loanDueDays.count)) }
    }

    /// Asks for what a loan event will update (cache warming: see ShardState+Warm.swift), so
    /// that the misses of many events overlap instead of coming one at a time.
    /// Ids are taken as they come (a hostile id names nothing, and asks for nothing, like any
    /// other id beyond the arrays).
    func prefetch(item: UInt64, member: UInt64?, loan: UInt64) {
        if item < UInt64(itemCounters.count) { itemCounters.prefetch(Int(item)) }
        if let member, member < UInt64(memberBorrows.count) { memberBorrows.prefetch(Int(member)) }
        if loan < UInt64(loanDueDays.count) { loanDueDays.prefetch(Int(loan)) }
    }

    private static func bump(_ array: inout [UInt32], _ day: Int32) {
        let index = Int(max(0, day))
        if index >= array.count { array.append(contentsOf: repeatElement(0, count: index - array.count + 1)) }
        array[index] &+= 1
    }

    private static func add(_ array: inout [Int32], _ day: Int32, _ delta: Int32) {
        let index = Int(max(0, day))
        if index >= array.count { array.append(contentsOf: repeatElement(0, count: index - array.count + 1)) }
        array[index] += delta
    }

    // MARK: Events

    /// Moves the counters by one logged event (events that move none are passed over).
    mutating func record(_ event: Event) {
        switch event {
        case .itemCreated(let item), .itemChanged(let item):
            ensure(item: item.id.rawValue)
            itemSet(item)
        case .loanCreated(let loan), .loanImported(let loan, _):
            ensure(item: loan.item.rawValue, member: loan.member.rawValue, loan: loan.id.rawValue)
            loanMade(loan)
        case .memberRegistered:
            memberRegistered()
        case .loanReturned(let loan, _, let item, _, _), .loanClosed(let loan, _, let item, _, _, _):
            loanEnded(loan, item: item)
        case .loanRenewed(let loan, _, let dueAt, _):
            loanRenewed(loan, dueAt: dueAt)
        case .memberChanged, .finePaid, .memberBlocked, .memberUnblocked, .policySet, .keyRemembered, .holdPlaced, .holdReady, .holdEnded:
            return
        }
    }

    /// Moves the counters by a batch's events, in order, asking for what each run of events
    /// will update first (see `prefetch`).
    mutating func record(contentsOf events: [Event]) {
        for start in stride(from: 0, to: events.count, by: Self.warmRun) {
            let run = start..<min(start + Self.warmRun, events.count)
            for index in run {
                switch events[index] {
                case .loanCreated(let loan), .loanImported(let loan, _):
                    prefetch(item: loan.item.rawValue, member: loan.member.rawValue, loan: loan.id.rawValue)
                case .loanReturned(let loan, _, let item, _, _), .loanClosed(let loan, _, let item, _, _, _):
                    prefetch(item: item.rawValue, member: nil, loan: loan.rawValue)
                default:
                    continue
                }
            }
            for index in run { record(events[index]) }
        }
    }

    static let warmRun = 32

    /// Room for the ids an event names (the keeper sees events, not the engine's id counters).
    private mutating func ensure(item: UInt64, member: UInt64 = 0, loan: UInt64 = 0) {
        let (items, members, loans) = (Int(item) + 1, Int(member) + 1, Int(loan) + 1)
        if items > itemCounters.count || members > memberBorrows.count || loans > loanDueDays.count {
            grow(items: items, members: members, loans: loans)
        }
    }

    mutating func itemSet(_ item: Item) {
        let id = Int(item.id.rawValue)
        if !itemCounters[id].exists {
            itemCounters[id].exists = true
            items += 1
        } else if itemCounters[id].copies >= 0 {
            activeItems -= 1
            copies -= Int64(itemCounters[id].copies)
        }
        if item.status == .active {
            itemCounters[id].copies = item.totalCopies
            activeItems += 1
            copies += Int64(item.totalCopies)
        } else {
            itemCounters[id].copies = -1
        }
    }

    mutating func memberRegistered(count: Int = 1) { members += Int64(count) }

    mutating func loanMade(_ loan: Loan) {
        let item = Int(loan.item.rawValue)
        itemCounters[item].borrows &+= 1
        memberBorrows[Int(loan.member.rawValue)] &+= 1
        Self.bump(&checkoutsByDay, loan.checkedOutAt.day)
        loansEver += 1
        guard loan.isActive else { return }
        itemCounters[item].onLoan += 1
        Self.add(&dueByDay, loan.dueAt.day, 1)
        loanDueDays[Int(loan.id.rawValue)] = loan.dueAt.day
        activeLoans += 1
    }

    mutating func loanEnded(_ loan: LoanID, item: ItemID) {
        itemCounters[Int(item.rawValue)].onLoan -= 1
        Self.add(&dueByDay, loanDueDays[Int(loan.rawValue)], -1)
        activeLoans -= 1
    }

    mutating func loanRenewed(_ loan: LoanID, dueAt: Timestamp) {
        let index = Int(loan.rawValue)
        Self.add(&dueByDay, loanDueDays[index], -1)
        Self.add(&dueByDay, dueAt.day, 1)
        loanDueDays[index] = dueAt.day
    }

    // MARK: Answers

    func summary(today: Int32, openHolds: Int) -> CirculationSummary {
        var overdue: Int64 = 0
        for day in 0..<min(Int(max(0, today)), dueByDay.count) { overdue += Int64(dueByDay[day]) }
        return CirculationSummary(
            items: items, activeItems: activeItems, copies: copies, members: members, activeLoans: activeLoans, overdueLoans: overdue,
            loansEver: loansEver, openHolds: Int64(openHolds), utilizationPermille: copies > 0 ? activeLoans * 1000 / copies : 0)
    }

    func topItems(_ limit: Int) -> [RankedCount] { Self.top(itemCounters.lazy.map(\.borrows), limit) }
    func topMembers(_ limit: Int) -> [RankedCount] { Self.top(memberBorrows, limit) }

    /// The `limit` largest non-zero counts, most first, ties by id: one pass, a short sorted list.
    private static func top(_ counts: some RandomAccessCollection<UInt32>, _ limit: Int) -> [RankedCount] {
        var best: [(count: UInt32, id: Int)] = []
        best.reserveCapacity(limit + 1)
        for (id, count) in counts.enumerated() where count > 0 {
            if best.count == limit, let last = best.last, count <= last.count { continue }
            // Ids ascend, so an equal count goes after those already in.
            var index = best.count
            while index > 0 && best[index - 1].count < count { index -= 1 }
            best.insert((count, id), at: index)
            if best.count > limit { best.removeLast() }
        }
        return best.map { RankedCount(id: UInt64($0.id), count: Int64($0.count)) }
    }

    func dailyCheckouts(from: Int32, to: Int32) -> [DayCount] {
        guard from <= to else { return [] }
        return (from...to).map { day in DayCount(day: day, count: day >= 0 && Int(day) < checkoutsByDay.count ? Int64(checkoutsByDay[Int(day)]) : 0) }
    }

    func inventory(sample limit: Int) -> InventoryHealth {
        var never: Int64 = 0
        var out: Int64 = 0
        var neverSample: [ItemID] = []
        var outSample: [ItemID] = []
        for (id, item) in itemCounters.enumerated() where item.exists && item.copies >= 0 {
            if item.borrows == 0 {
                never += 1
                if neverSample.count < limit { neverSample.append(ItemID(UInt64(id))) }
            }
            if item.copies > 0 && item.onLoan >= item.copies {
                out += 1
                if outSample.count < limit { outSample.append(ItemID(UInt64(id))) }
            }
        }
        return InventoryHealth(neverBorrowed: never, neverBorrowedSample: neverSample, allCopiesOut: out, allCopiesOutSample: outSample)
    }
}

extension Engine {
    func analytics(_ query: AnalyticsQuery, now: Timestamp) -> Reply {
        switch query {
        case .summary: .summary(statistics.summary(today: now.day, openHolds: holdBook.count))
        case .topItems(let limit): .ranking(statistics.topItems(Int(limit)))
        case .topMembers(let limit): .ranking(statistics.topMembers(Int(limit)))
        case .dailyCheckouts(let from, let to): .dailyCounts(statistics.dailyCheckouts(from: from, to: to))
        case .inventory(let limit): .inventory(statistics.inventory(sample: Int(limit)))
        }
    }
}
