/// Checks that need no state: formats and limits. A command that passes comes back in its
/// canonical form (ISBN digits only, e-mail lowercased).
public enum Validation {
    public static func validate(_ command: Command) -> Result<Command, Refusal> {
        do throws(Refusal) {
            return .success(try canonical(command))
        } catch {
            return .failure(error)
        }
    }

    /// An imported loan's times against the batch time: history cannot lie in the future.
    /// Checked right after the stateless checks, before any state is read.
    public static func importTimesRefusal(_ entry: LoanImport, now: Timestamp) -> Refusal? {
        if entry.checkedOutAt > now { return .invalid(.checkedOutAt) }
        if let returned = entry.returnedAt, returned > now { return .invalid(.returnedAt) }
        return nil
    }

    public static func isValidIdempotencyKey(_ key: String) -> Bool {
        let count = key.utf8.count
        return count >= 1 && count <= Limits.idempotencyKeyBytesMax
    }

    private static func canonical(_ command: Command) throws(Refusal) -> Command {
        switch command {
        case .createItem(var draft):
            draft.isbn = try isbn(draft.isbn)
            try text(draft.title, .title, 1...Limits.titleBytesMax)
            try text(draft.author, .author, 0...Limits.authorBytesMax)
            try text(draft.publisher, .publisher, 0...Limits.publisherBytesMax)
            try check(Limits.yearRange.contains(draft.year), .year)
            try check((0...Limits.copiesPerItemMax).contains(draft.copies), .copies)
            return .createItem(draft)
        case .updateItem(let id, var changes):
            if let value = changes.isbn { changes.isbn = try isbn(value) }
            if let value = changes.title { try text(value, .title, 1...Limits.titleBytesMax) }
            if let value = changes.author { try text(value, .author, 0...Limits.authorBytesMax) }
            if let value = changes.publisher { try text(value, .publisher, 0...Limits.publisherBytesMax) }
            if let value = changes.year { try check(Limits.yearRange.contains(value), .year) }
            return .updateItem(id, changes)
        case .addCopies(_, let count), .removeCopies(_, let count), .markMissing(_, let count):
            try check((1...Limits.copiesPerItemMax).contains(count), .count)
            return command
        case .registerMember(var draft):
            draft.email = try email(draft.email)
            try text(draft.name, .name, 1...Limits.nameBytesMax)
            try text(draft.tier, .tier, 1...Limits.tierBytesMax)
            try check(Limits.cardExpiryDayRange.contains(draft.cardExpiryDay), .cardExpiry)
            return .registerMember(draft)
        case .updateMember(let id, var changes):
            if let value = changes.email { changes.email = try email(value) }
            if let value = changes.name { try text(value, .name, 1...Limits.nameBytesMax) }
            if let value = changes.tier { try text(value, .tier, 1...Limits.tierBytesMax) }
            if let value = changes.cardExpiryDay { try check(Limits.cardExpiryDayRange.contains(value), .cardExpiry) }
            return .updateMember(id, changes)
        case .setPolicy(let key, let policy):
            try text(key.tier, .tier, 1...Limits.tierBytesMax)
            try check(Limits.loanDaysRange.contains(policy.loanDays), .loanDays)
            try check(Limits.maxLoansRange.contains(policy.maxLoans), .maxLoans)
            try check(Limits.maxRenewalsRange.contains(policy.maxRenewals), .maxRenewals)
            try check(Limits.centsPolicyRange.contains(policy.finePerDayCents), .finePerDay)
            try check(Limits.centsPolicyRange.contains(policy.maxFinePerLoanCents), .maxFinePerLoan)
            try check(Limits.centsPolicyRange.contains(policy.blockThresholdCents), .blockThreshold)
            try check(Limits.maxHoldsRange.contains(policy.maxHolds), .maxHolds)
            try check(Limits.pickupDaysRange.contains(policy.pickupDays), .pickupDays)
            try check(Limits.overdueBlockLoansRange.contains(policy.overdueBlockLoans), .overdueBlockLoans)
            try check(Limits.centsPolicyRange.contains(policy.lostItemFeeCents), .lostItemFee)
            return command
        case .payFine(_, let amount):
            try check((1...Limits.paymentCentsMax).contains(amount), .amount)
            return command
        case .importLoan(let entry):
            try check(Limits.timestampRange.contains(entry.checkedOutAt.rawValue), .checkedOutAt)
            try check(Limits.timestampRange.contains(entry.dueAt.rawValue) && entry.dueAt >= entry.checkedOutAt, .dueAt)
            guard let returned = entry.returnedAt else {
                // An active loan has no fine yet.
                try check(entry.fineCents == nil && !entry.fineOwed, .fine)
                return command
            }
            try check(Limits.timestampRange.contains(returned.rawValue) && returned >= entry.checkedOutAt, .returnedAt)
            if let fine = entry.fineCents {
                // Only a late return carries a fine.
                try check(Limits.centsPolicyRange.contains(fine) && (fine == 0 || returned > entry.dueAt), .fine)
            }
            return command
        case .memberLoans(_, _, let limit), .overdueLoans(_, let limit), .listItems(_, let limit), .listMembers(_, let limit), .itemHolds(_, _, let limit):
            try check((1...Int32(Limits.pageSizeMax)).contains(limit), .pageSize)
            return command
        case .blockMember(_, let draft):
            try text(draft.reason, .reason, 1...Limits.blockReasonBytesMax)
            try check(!draft.effects.isEmpty && BlockEffects.all.isSuperset(of: draft.effects), .effects)
            if let expiry = draft.expiresAt { try check(Limits.timestampRange.contains(expiry.rawValue), .expiresAt) }
            return command
        case .searchCatalog(let query, _, let limit):
            try text(query, .query, 1...SearchLimits.queryBytesMax)
            try check(SearchLimits.pageSizeRange.contains(Int(limit)), .pageSize)
            return command
        case .analytics(let query):
            switch query {
            case .summary: break
            case .topItems(let limit), .topMembers(let limit): try check((1...AnalyticsLimits.rankingMax).contains(limit), .pageSize)
            case .inventory(let limit): try check((0...AnalyticsLimits.sampleMax).contains(limit), .pageSize)
            case .dailyCheckouts(let from, let to):
                try check(Limits.cardExpiryDayRange.contains(from) && Limits.cardExpiryDayRange.contains(to) && from <= to, .day)
                try check(to - from < AnalyticsLimits.daysMax, .day)
            }
            return command
        case .declareLost, .claimReturned, .markFound, .unblockMember, .withdrawItem, .suspendMember, .reinstateMember, .checkout, .returnLoan, .renewLoan, .getItem, .getMember, .placeHold, .cancelHold,
            .memberHolds:
            return command
        }
    }

    private static func check(_ condition: Bool, _ field: Field) throws(Refusal) {
        if !condition { throw Refusal.invalid(field) }
    }

    private static func text(_ value: String, _ field: Field, _ bytes: ClosedRange<Int>) throws(Refusal) {
        try check(bytes.contains(value.utf8.count), field)
    }

    private static func isbn(_ value: String) throws(Refusal) -> String {
        guard value.utf8.count <= Limits.isbnBytesMax, let normalized = ISBN.normalized(value) else { throw Refusal.invalid(.isbn) }
        return normalized
    }

    private static func email(_ value: String) throws(Refusal) -> String {
        guard let normalized = Email.normalized(value) else { throw Refusal.invalid(.email) }
        return normalized
    }
}
