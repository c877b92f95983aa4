/// A refusal. Codes are stable: every protocol (binary, JSON, HTTP) reports the same number and
/// name, and the message says what a librarian can do about it.
public enum ErrorCode: UInt16, Sendable, Hashable, CaseIterable {
    // Checkout refusals. The order checkout checks them in is in docs/circulation-rules.md.
    case memberNotFound = 100
    case memberSuspended = 101
    case cardExpired = 102
    case itemNotFound = 103
    case itemWithdrawn = 104
    case blockedByFines = 105
    case loanLimitReached = 106
    case alreadyHoldsItem = 107
    case noCopyAvailable = 108
    case noPolicy = 109
    // Holds.
    case holdLimitReached = 110
    case holdExists = 111
    case copyAvailable = 112
    // Blocks.
    case memberBlocked = 113
    case tooManyOverdueLoans = 114
    // Loans and fines.
    case loanNotFound = 120
    case loanNotActive = 121
    case renewalLimitReached = 122
    case paymentExceedsFines = 123
    case holdNotFound = 124
    case itemOnHold = 125
    case blockNotFound = 126
    // Catalog and members.
    case copiesOnLoan = 140
    case itemHasActiveLoans = 141
    case emailTaken = 142
    case unknownTier = 143
    case memberAlreadyActive = 144
    case memberAlreadySuspended = 145
    case itemAlreadyWithdrawn = 146
    case itemHasHolds = 147
    case noCopyInState = 148
    // Requests.
    case invalidField = 160
    case idempotencyKeyReused = 161
    // Storage.
    case storageFull = 180
    // The event stream.
    case historyUnavailable = 181
    case positionAhead = 182
    case tooManySubscriptions = 183
    // Access: authentication, roles and rate limits.
    case unauthenticated = 190
    case forbidden = 191
    case rateLimited = 192
    case accountLocked = 193
    case loginFailed = 194
    // Requests and frames (every front end: binary, JSON, HTTP).
    case malformedRequest = 200
    case frameTooLarge = 201
    case tooManyCommands = 202
    case unsupportedVersion = 203
    case unknownOpcode = 204
    case tooManyConnections = 205
    case idleTimeout = 206
    case notFound = 207
    case shuttingDown = 208
    case internalError = 209

    public var name: String {
        switch self {
        case .memberNotFound: "MEMBER_NOT_FOUND"
        case .memberSuspended: "MEMBER_SUSPENDED"
        case .cardExpired: "CARD_EXPIRED"
        case .itemNotFound: "ITEM_NOT_FOUND"
        case .itemWithdrawn: "ITEM_WITHDRAWN"
        case .blockedByFines: "BLOCKED_BY_FINES"
        case .loanLimitReached: "LOAN_LIMIT_REACHED"
        case .alreadyHoldsItem: "ALREADY_HOLDS_ITEM"
        case .noCopyAvailable: "NO_COPY_AVAILABLE"
        case .noPolicy: "NO_POLICY"
        case .holdLimitReached: "HOLD_LIMIT_REACHED"
        case .holdExists: "HOLD_EXISTS"
        case .copyAvailable: "COPY_AVAILABLE"
        case .memberBlocked: "MEMBER_BLOCKED"
        case .tooManyOverdueLoans: "TOO_MANY_OVERDUE_LOANS"
        case .blockNotFound: "BLOCK_NOT_FOUND"
        case .holdNotFound: "HOLD_NOT_FOUND"
        case .itemOnHold: "ITEM_ON_HOLD"
        case .loanNotFound: "LOAN_NOT_FOUND"
        case .loanNotActive: "LOAN_NOT_ACTIVE"
        case .renewalLimitReached: "RENEWAL_LIMIT_REACHED"
        case .paymentExceedsFines: "PAYMENT_EXCEEDS_FINES"
        case .copiesOnLoan: "COPIES_ON_LOAN"
        case .itemHasActiveLoans: "ITEM_HAS_ACTIVE_LOANS"
        case .emailTaken: "EMAIL_TAKEN"
        case .unknownTier: "UNKNOWN_TIER"
        case .memberAlreadyActive: "MEMBER_ALREADY_ACTIVE"
        case .memberAlreadySuspended: "MEMBER_ALREADY_SUSPENDED"
        case .itemAlreadyWithdrawn: "ITEM_ALREADY_WITHDRAWN"
        case .itemHasHolds: "ITEM_HAS_HOLDS"
        case .noCopyInState: "NO_COPY_IN_STATE"
        case .invalidField: "INVALID_FIELD"
        case .idempotencyKeyReused: "IDEMPOTENCY_KEY_REUSED"
        case .storageFull: "STORAGE_FULL"
        case .historyUnavailable: "HISTORY_UNAVAILABLE"
        case .positionAhead: "POSITION_AHEAD"
        case .tooManySubscriptions: "TOO_MANY_SUBSCRIPTIONS"
        case .unauthenticated: "UNAUTHENTICATED"
        case .forbidden: "FORBIDDEN"
        case .rateLimited: "RATE_LIMITED"
        case .accountLocked: "ACCOUNT_LOCKED"
        case .loginFailed: "LOGIN_FAILED"
        case .malformedRequest: "MALFORMED_REQUEST"
        case .frameTooLarge: "FRAME_TOO_LARGE"
        case .tooManyCommands: "TOO_MANY_COMMANDS"
        case .unsupportedVersion: "UNSUPPORTED_VERSION"
        case .unknownOpcode: "UNKNOWN_OPCODE"
        case .tooManyConnections: "TOO_MANY_CONNECTIONS"
        case .idleTimeout: "IDLE_TIMEOUT"
        case .notFound: "NOT_FOUND"
        case .shuttingDown: "SHUTTING_DOWN"
        case .internalError: "INTERNAL_ERROR"
        }
    }

    public var message: String {
        switch self {
        case .memberNotFound: "No member has this id."
        case .memberSuspended: "The member's account is suspended; reinstate it before lending."
        case .cardExpired: "The member's card has expired; renew the card before lending."
        case .itemNotFound: "No item has this id."
        case .itemWithdrawn: "The item has been withdrawn from circulation."
        case .blockedByFines: "The member owes fines at or above the blocking threshold; a payment lifts the block."
        case .loanLimitReached: "The member has reached the loan limit of their tier."
        case .alreadyHoldsItem: "The member already has a copy of this item on loan."
        case .noCopyAvailable: "Every copy of this item is out on loan."
        case .noPolicy: "No loan policy covers this member's tier and this item's type."
        case .holdLimitReached: "The member has reached the limit of open holds of their tier."
        case .holdExists: "The member already has a hold on this item."
        case .copyAvailable: "A copy of this item is on the shelf: check it out instead of placing a hold."
        case .memberBlocked: "A librarian has blocked this member's account for this (see the member's blocks for the reason)."
        case .tooManyOverdueLoans: "The member has too many overdue loans; returning them lifts the block."
        case .blockNotFound: "The member has no block with this id."
        case .holdNotFound: "No open hold has this id (it may have been filled, cancelled or expired)."
        case .itemOnHold: "Other members are waiting for this item: the loan cannot be renewed; return it when due."
        case .loanNotFound: "No loan has this id."
        case .loanNotActive: "The loan has already been returned."
        case .renewalLimitReached: "The loan has been renewed as often as the policy allows."
        case .paymentExceedsFines: "The payment is larger than the fines owed."
        case .copiesOnLoan: "Fewer copies are on the shelf than were asked to be removed."
        case .itemHasActiveLoans: "Copies of the item are out on loan or on the hold shelf; withdraw it once they are back on the shelf."
        case .emailTaken: "Another member already uses this e-mail address."
        case .unknownTier: "No policy names this tier; set a policy for it first."
        case .memberAlreadyActive: "The member is not suspended."
        case .memberAlreadySuspended: "The member is already suspended."
        case .itemAlreadyWithdrawn: "The item is already withdrawn."
        case .itemHasHolds: "Members are waiting for this item; cancel their holds before withdrawing it."
        case .noCopyInState: "No copy of this item is in that state (lost, missing or claimed returned)."
        case .invalidField: "A field is missing, malformed or beyond its limit."
        case .idempotencyKeyReused: "This idempotency key was used for a different command."
        case .storageFull: "The server's disk is full: nothing was changed. Reads still work; retry once an operator frees space."
        case .historyUnavailable:
            "Events at this position are no longer kept (the log before the older snapshot is removed); subscribe from the oldest kept position, which the message names, or from the live end."
        case .positionAhead: "The position is past the end of the log; subscribe from at most the durable LSN + 1 (PING answers with it), or from the live end."
        case .tooManySubscriptions: "The server has reached its limit of event subscriptions; retry later or close another."
        case .unauthenticated: "No valid token was presented; authenticate first."
        case .forbidden: "This token's role does not allow this command."
        case .rateLimited: "This token sent more commands than its rate limit allows; retry shortly."
        case .accountLocked: "Too many failed logins: the account is locked for a while; try again later or ask a librarian."
        case .loginFailed: "The member id or password is wrong."
        case .malformedRequest: "The request could not be parsed."
        case .frameTooLarge: "The frame is larger than the server accepts; split the batch."
        case .tooManyCommands: "The frame carries more commands than the server accepts; split the batch."
        case .unsupportedVersion: "The protocol version is not supported by this server."
        case .unknownOpcode: "The frame's opcode is not known to this server."
        case .tooManyConnections: "The server has reached its connection limit; retry later."
        case .idleTimeout: "The connection was idle for too long and is being closed."
        case .notFound: "Nothing is found at this address."
        case .shuttingDown: "The server is shutting down; retry on another server or later."
        case .internalError: "The server failed to answer; the request may not have taken effect."
        }
    }
}

/// The field an `INVALID_FIELD` refusal is about.
public enum Field: UInt8, Sendable, Hashable, CaseIterable {
    case isbn = 1, title, author, publisher, year, copies, count, email, name, tier, cardExpiry, amount,
        loanDays, maxLoans, maxRenewals, finePerDay, maxFinePerLoan, blockThreshold, idempotencyKey, pageSize,
        checkedOutAt, dueAt, returnedAt, fine, maxHolds, pickupDays, reason, effects, expiresAt, overdueBlockLoans, lostItemFee, day, query

    public var name: String {
        switch self {
        case .isbn: "isbn"
        case .title: "title"
        case .author: "author"
        case .publisher: "publisher"
        case .year: "year"
        case .copies: "copies"
        case .count: "count"
        case .email: "email"
        case .name: "name"
        case .tier: "tier"
        case .cardExpiry: "card_expiry"
        case .amount: "amount_cents"
        case .loanDays: "loan_days"
        case .maxLoans: "max_loans"
        case .maxRenewals: "max_renewals"
        case .finePerDay: "fine_per_day_cents"
        case .maxFinePerLoan: "max_fine_per_loan_cents"
        case .blockThreshold: "block_threshold_cents"
        case .idempotencyKey: "idempotency_key"
        case .pageSize: "limit"
        case .checkedOutAt: "checked_out_at"
        case .dueAt: "due_at"
        case .returnedAt: "returned_at"
        case .fine: "fine_cents"
        case .maxHolds: "max_holds"
        case .pickupDays: "pickup_days"
        case .reason: "reason"
        case .effects: "blocks"
        case .expiresAt: "expires_at"
        case .overdueBlockLoans: "overdue_block_loans"
        case .lostItemFee: "lost_item_fee_cents"
        case .day: "from"
        case .query: "q"
        }
    }
}

/// Why a command was refused: a stable code, and for `invalidField` the field.
public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var field: Field?

    public init(_ code: ErrorCode, field: Field? = nil) {
        self.code = code
        self.field = field
    }

    public static func invalid(_ field: Field) -> Refusal { Refusal(.invalidField, field: field) }

    public var message: String {
        guard let field else { return code.message }
        return "Field '\(field.name)' is missing, malformed or beyond its limit."
    }

    public var description: String { field.map { "\(code.name)(\($0.name))" } ?? code.name }
}
