import Engine

extension ErrorCode {
    /// The HTTP status the REST API answers this code with. 404 for a missing record, 409 for a
    /// conflict with the current state, 422 for a rule that refuses the request as asked.
    public var httpStatus: Int {
        switch self {
        case .invalidField, .malformedRequest, .tooManyCommands, .unsupportedVersion, .unknownOpcode, .positionAhead: 400
        case .unauthenticated, .loginFailed: 401
        case .forbidden: 403
        case .memberNotFound, .itemNotFound, .loanNotFound, .holdNotFound, .blockNotFound, .notFound: 404
        case .noCopyAvailable, .alreadyHoldsItem, .loanNotActive, .copiesOnLoan, .itemHasActiveLoans, .emailTaken, .memberAlreadyActive,
            .memberAlreadySuspended, .itemAlreadyWithdrawn, .idempotencyKeyReused, .holdExists, .copyAvailable, .itemOnHold, .itemHasHolds, .noCopyInState:
            409
        case .historyUnavailable: 410
        case .frameTooLarge: 413
        case .memberSuspended, .cardExpired, .itemWithdrawn, .blockedByFines, .loanLimitReached, .noPolicy, .renewalLimitReached,
            .paymentExceedsFines, .unknownTier, .holdLimitReached, .memberBlocked, .tooManyOverdueLoans:
            422
        case .accountLocked, .rateLimited: 429
        case .tooManyConnections, .storageFull, .shuttingDown, .idleTimeout, .tooManySubscriptions: 503
        case .internalError: 500
        }
    }
}
