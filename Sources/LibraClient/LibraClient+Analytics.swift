import Engine

/// Analytics: figures the server keeps up to date as commands run (docs/circulation-rules.md,
/// "Analytics"); none scans the loans. Every role but member may ask.
extension LibraClient {
    /// Items, copies, members, loans (active, overdue, ever), open holds, utilization.
    public func circulationSummary() async throws(LibraError) -> CirculationSummary {
        let command = Command.analytics(.summary)
        let reply = try await perform(command)
        guard case .summary(let summary) = reply else { throw unexpected(reply, command) }
        return summary
    }

    /// The most borrowed items, most first (ties by id); `limit` 1 to `AnalyticsLimits.rankingMax`.
    public func topItems(limit: Int = 10) async throws(LibraError) -> [RankedCount] {
        try await ranking(.analytics(.topItems(limit: Int32(clamping: limit))))
    }

    /// The members with the most loans, most first (ties by id).
    public func topMembers(limit: Int = 10) async throws(LibraError) -> [RankedCount] {
        try await ranking(.analytics(.topMembers(limit: Int32(clamping: limit))))
    }

    /// Checkouts (and imported loans) per day, `from` through `to` (at most `AnalyticsLimits.daysMax` days).
    public func dailyCheckouts(from: CivilDate, to: CivilDate) async throws(LibraError) -> [DayCount] {
        let command = Command.analytics(.dailyCheckouts(fromDay: from.daysSinceEpoch, toDay: to.daysSinceEpoch))
        let reply = try await perform(command)
        guard case .dailyCounts(let days) = reply else { throw unexpected(reply, command) }
        return days
    }

    /// Circulating items never borrowed and items with every copy out, with the first `sampleLimit` ids of each.
    public func inventoryHealth(sampleLimit: Int = 10) async throws(LibraError) -> InventoryHealth {
        let command = Command.analytics(.inventory(limit: Int32(clamping: sampleLimit)))
        let reply = try await perform(command)
        guard case .inventory(let health) = reply else { throw unexpected(reply, command) }
        return health
    }

    private func ranking(_ command: Command) async throws(LibraError) -> [RankedCount] {
        let reply = try await perform(command)
        guard case .ranking(let ranking) = reply else { throw unexpected(reply, command) }
        return ranking
    }
}
