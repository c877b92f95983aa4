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
        @Sendable func number(_ query: [String: String], _ name: String, default value: Int32) throws(ProtocolRefusal) -> Int32 {
            guard let text = query[name] else { return value }
            guard let number = Int32(text) else { throw ProtocolRefusal(.malformedRequest, "'\(name)' must be an integer.") }
            return number
        }
        @Sendable func day(_ query: [String: String], _ name: String) throws(ProtocolRefusal) -> Int32 {
            guard let text = query[name] else { throw ProtocolRefusal(.malformedRequest, "'\(name)' is required (YYYY-MM-DD).") }
            guard let date = CivilDate(iso: text) else { throw ProtocolRefusal(.malformedRequest, "'\(name)' must be a day, YYYY-MM-DD.") }
            return date.daysSinceEpoch
        }
        let q = HTTPOperation.Parameter(
            name: "q", location: .query, required: true, description: "Words of the title or author (prefixes and typos match), or the start of an ISBN.",
            schema: .string(minLength: 1, maxLength: SearchLimits.queryBytesMax))
        let cursor = HTTPOperation.Parameter(
            name: "after", location: .query, required: false, description: "The `next` of the previous page (`score:item`).", schema: .string(pattern: "^-?[0-9]+:[0-9]+$"))
        let pageSize = HTTPOperation.Parameter(
            name: "limit", location: .query, required: false, description: "Hits per page, 1 to \(SearchLimits.pageSizeRange.upperBound); default 20.",
            schema: .integer(nil, 1...Int32(SearchLimits.pageSizeRange.upperBound)))
        return [
            queryRead(
                "/api/v1/search",
                HTTPOperation(
                    id: "searchCatalog", tag: .catalog, summary: "Search the catalog by title, author or ISBN: best matches first, a page at a time",
                    description: "Every word must match a word of the title or author: exactly, as a prefix, or within one typo (two for long words); "
                        + "exact beats prefix beats typo, title beats author. Withdrawn items are left out. docs/circulation-rules.md, \"Search\".",
                    access: .command(.searchCatalog("a", after: nil, limit: 1)), parameters: [q, cursor, pageSize],
                    success: .json(200, "Hits with their items; `next` continues the listing, null on the last page.", "SearchReply"),
                    refusals: [.invalidField])
            ) { query throws(ProtocolRefusal) in
                var after: SearchCursor?
                if let text = query["after"] {
                    guard let parsed = SearchCursorText.cursor(text) else { throw ProtocolRefusal(.malformedRequest, "'after' must be the `next` of a previous page.") }
                    after = parsed
                }
                return .searchCatalog(query["q"] ?? "", after: after, limit: try number(query, "limit", default: 20))
            },
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
            ) { query throws(ProtocolRefusal) in .analytics(.topItems(limit: try number(query, "limit", default: 10))) },
            queryRead(
                "/api/v1/analytics/top-members",
                HTTPOperation(
                    id: "analyticsTopMembers", tag: .analytics, summary: "The members with the most loans, most first",
                    access: .command(.analytics(.topMembers(limit: 1))), parameters: [limit], success: .json(200, "Member ids with their loan counts.", "RankingReply"),
                    refusals: [.invalidField])
            ) { query throws(ProtocolRefusal) in .analytics(.topMembers(limit: try number(query, "limit", default: 10))) },
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
            ) { query throws(ProtocolRefusal) in .analytics(.inventory(limit: try number(query, "limit", default: 10))) },
        ]
    }

    /// A GET route whose command is built from its query string; parameters the operation does
    /// not name are refused.
    func queryRead(_ path: String, _ operation: HTTPOperation, _ make: @escaping @Sendable ([String: String]) throws(ProtocolRefusal) -> Command) -> HTTPRoute {
        let names = Set(operation.parameters.filter { $0.location == .query }.map(\.name))
        return HTTPRoute(method: .get, path: path, operation: operation) { request, _ in
            await respond {
                let principal = try principal(request)
                var query: [String: String] = [:]
                for (name, value) in request.uri.queryParameters {
                    guard names.contains(String(name)) else {
                        throw ProtocolRefusal(.malformedRequest, "Unknown query parameter '\(name)'; this route takes \(names.isEmpty ? "none" : names.sorted().joined(separator: ", ")).")
                    }
                    query[String(name)] = String(value)
                }
                return try await execute(EngineRequest(try make(query)), as: principal)
            }
        }
    }
}
