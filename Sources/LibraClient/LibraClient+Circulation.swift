import Engine

/// Circulation: checkout, return, renewal and fines (circulation and admin tokens; a member
/// token may renew its own loans).
extension LibraClient {
    /// Lends a copy of `item` to `member`. Refusals, in the order they are checked, are listed
    /// in docs/circulation-rules.md (`MEMBER_SUSPENDED`, `LOAN_LIMIT_REACHED`, `NO_COPY_AVAILABLE`, ...).
    public func checkout(member: MemberID, item: ItemID) async throws(LibraError) -> Loan {
        try await loan(.checkout(member: member, item: item))
    }

    /// Returns the loan; the answer carries the return time and any fine charged.
    public func returnLoan(_ id: LoanID) async throws(LibraError) -> Loan {
        try await loan(.returnLoan(id))
    }

    /// Extends the loan's due date by the policy's loan period.
    public func renew(_ id: LoanID) async throws(LibraError) -> Loan {
        try await loan(.renewLoan(id))
    }

    /// Ends the loan as lost: the policy's lost-item fee is charged (the loan's `fineCents`).
    public func declareLost(_ id: LoanID) async throws(LibraError) -> Loan {
        try await loan(.declareLost(id))
    }

    /// Ends the loan on the borrower's word that they returned it: no fine.
    public func claimReturned(_ id: LoanID) async throws(LibraError) -> Loan {
        try await loan(.claimReturned(id))
    }

    /// Pays fines; returns what the member still owes, in cents.
    public func payFine(member: MemberID, amountCents: Int64) async throws(LibraError) -> Int64 {
        let command = Command.payFine(member, amountCents: amountCents)
        let reply = try await perform(command)
        guard case .finesOwed(_, let cents) = reply else { throw unexpected(reply, command) }
        return cents
    }

    private func loan(_ command: Command) async throws(LibraError) -> Loan {
        let reply = try await perform(command)
        guard case .loan(let loan) = reply else { throw unexpected(reply, command) }
        return loan
    }
}
