import Engine

/// Reads. They travel the same path as writes, so a read sees every command answered before
/// it was sent. Listings are pages in ascending id order: pass a page's `next` as `after:`.
/// `limit` is at most `Limits.pageSizeMax` (1000).
extension LibraClient {
    public func getItem(_ id: ItemID) async throws(LibraError) -> Item {
        let command = Command.getItem(id)
        let reply = try await perform(command)
        guard case .item(let item) = reply else { throw unexpected(reply, command) }
        return item
    }

    /// The member and the full records of their active loans.
    public func getMember(_ id: MemberID) async throws(LibraError) -> (member: Member, loans: [Loan]) {
        let command = Command.getMember(id)
        let reply = try await perform(command)
        guard case .memberWithLoans(let member, let loans) = reply else { throw unexpected(reply, command) }
        return (member, loans)
    }

    /// A member's loans, active and returned.
    public func memberLoans(_ id: MemberID, after: LoanID? = nil, limit: Int = 100) async throws(LibraError) -> Page<Loan> {
        try await loans(.memberLoans(id, after: after, limit: Int32(clamping: limit)))
    }

    /// Active loans past their due time.
    public func overdueLoans(after: LoanID? = nil, limit: Int = 100) async throws(LibraError) -> Page<Loan> {
        try await loans(.overdueLoans(after: after, limit: Int32(clamping: limit)))
    }

    /// The catalog, withdrawn items included.
    public func listItems(after: ItemID? = nil, limit: Int = 100) async throws(LibraError) -> Page<Item> {
        let command = Command.listItems(after: after, limit: Int32(clamping: limit))
        let reply = try await perform(command)
        guard case .items(let items, let next) = reply else { throw unexpected(reply, command) }
        return Page(elements: items, next: next)
    }

    /// Members, suspended ones included.
    public func listMembers(after: MemberID? = nil, limit: Int = 100) async throws(LibraError) -> Page<Member> {
        let command = Command.listMembers(after: after, limit: Int32(clamping: limit))
        let reply = try await perform(command)
        guard case .members(let members, let next) = reply else { throw unexpected(reply, command) }
        return Page(elements: members, next: next)
    }

    private func loans(_ command: Command) async throws(LibraError) -> Page<Loan> {
        let reply = try await perform(command)
        guard case .loans(let loans, let next) = reply else { throw unexpected(reply, command) }
        return Page(elements: loans, next: next)
    }

    /// Catalog search by title, author or ISBN, best first; pass `next` as `after:` for more.
    public func searchCatalog(_ query: String, after: SearchCursor? = nil, limit: Int = 20) async throws(LibraError) -> (hits: [ScoredItem], next: SearchCursor?) {
        let command = Command.searchCatalog(query, after: after, limit: Int32(clamping: limit))
        let reply = try await perform(command)
        guard case .searchResults(let hits, let next) = reply else { throw unexpected(reply, command) }
        return (hits, next)
    }
}
