import Engine
import Hummingbird
import LibraProtocol

/// Analytics: figures the engine keeps up to date as commands run, each answered without a
/// scan of the loans (docs/circulation-rules.md, "Analytics").
extension HTTPAPI {
    var analyticsRoutes: [HTTPRoute] {
        let limit = HTTPOperation.Parameter(
            name: "limit", location: .query, required: false, description: "How many, 1 to \(AnalyticsLimits.rankingMax); default 10.",
            schema: .integer(nil, 1...AnalyticsLimits.rankingMax))
        let sample = HTTPOperation.Parameter(
            name: "limit", location: .query, required: false, description: "Ids listed per kind, 0 to \(AnalyticsLimits.sampleMax); default 10.",
            schema: .integer(nil, 0...AnalyticsLimits.sampleMax))
        let from = HTTPOperation.Parameter(name: "from", location: .query, required: true, description: "The first day, YYYY-MM-DD.", schema: .string(format: "date"))
        let to = HTTPOperation.Parameter(
            name: "to", location: .query, required: true, description: "The last day, YYYY-MM-DD; at most \(AnalyticsLimits.daysMax) days in all.",
            schema: .string(format: "date"))
        @Sendable func day(_ query: [String: String], _ name: String) throws(ProtocolRefusal) -> Int32 {
            guard let text = query[name] else { throw ProtocolRefusal(.malformedRequest, "'\(name)' is required (YYYY-MM-DD).") }
            guard let date = CivilDate(iso: text) else { throw ProtocolRefusal(.malformedRequest, "'\(name)' must be a day, YYYY-MM-DD.") }
            return date.daysSinceEpoch
        }
        return [
            queryRead(
                "/api/v1/analytics/summary",
                HTTPOperation(
                    id: "analyticsSummary", tag: .analytics, summary: "Items, copies, members, loans (active, overdue, ever), open holds, utilization",
                    access: .command(.analytics(.summary)), success: .json(200, "The figures as of now.", "SummaryReply"), refusals: [])
            ) { _ throws(ProtocolRefusal) in .analytics(.summary) },
            queryRead(
                "/api/v1/analytics/top-items",
                HTTPOperation(
                    id: "analyticsTopItems", tag: .analytics, summary: "The most borrowed items, most first", access: .command(.analytics(.topItems(limit: 1))),
                    parameters: [limit], success: .json(200, "Item ids with their loan counts.", "RankingReply"), refusals: [.invalidField])
            ) { query throws(ProtocolRefusal) in .analytics(.topItems(limit: try Self.queryNumber(query, "limit", default: 10))) },
            queryRead(
                "/api/v1/analytics/top-members",
                HTTPOperation(
                    id: "analyticsTopMembers", tag: .analytics, summary: "The members with the most loans, most first",
                    access: .command(.analytics(.topMembers(limit: 1))), parameters: [limit], success: .json(200, "Member ids with their loan counts.", "RankingReply"),
                    refusals: [.invalidField])
            ) { query throws(ProtocolRefusal) in .analytics(.topMembers(limit: try Self.queryNumber(query, "limit", default: 10))) },
            queryRead(
                "/api/v1/analytics/daily-checkouts",
                HTTPOperation(
                    id: "analyticsDailyCheckouts", tag: .analytics, summary: "Checkouts per day (imported loans on their own day)",
                    access: .command(.analytics(.dailyCheckouts(fromDay: 1, toDay: 1))), parameters: [from, to],
                    success: .json(200, "One count per day, from the first to the last.", "DailyReply"), refusals: [.invalidField])
            ) { query throws(ProtocolRefusal) in .analytics(.dailyCheckouts(fromDay: try day(query, "from"), toDay: try day(query, "to"))) },
            queryRead(
                "/api/v1/analytics/inventory",
                HTTPOperation(
                    id: "analyticsInventory", tag: .analytics, summary: "Inventory health: items never borrowed, items with every copy out",
                    access: .command(.analytics(.inventory(limit: 1))), parameters: [sample], success: .json(200, "Counts and the first ids of each.", "InventoryReply"),
                    refusals: [.invalidField])
            ) { query throws(ProtocolRefusal) in .analytics(.inventory(limit: try Self.queryNumber(query, "limit", default: 10))) },
        ]
    }
}
