import Engine
import LibraProtocol

/// Who sent a request: the token's id (for audit), its role and, for members, whose account.
public struct Principal: Sendable {
    public var tokenID: String
    public var role: Role
    public var member: MemberID?
    let limiter: RateLimiter?
    /// Session tokens end; nil for tokens that last until revoked.
    let expiresAt: Double?

    /// Whether the token may send `commands` more commands now.
    func admit(commands: Int) -> Bool { limiter?.take(commands) ?? true }
}

/// What a role may do with one command.
enum Permission: Equatable {
    case allowed
    case forbidden
    /// Allowed only if the loan is the member's own: checked against the member's record.
    case ownLoan(LoanID)
    /// Allowed only if the hold is the member's own: checked against the member's holds.
    case ownHold(HoldID)
}

extension Principal {
    func permission(for command: Command) -> Permission {
        switch role {
        case .admin: return .allowed
        case .readOnly: return command.isRead ? .allowed : .forbidden
        case .circulation:
            switch command {
            case .checkout, .returnLoan, .renewLoan, .payFine, .placeHold, .cancelHold, .blockMember, .unblockMember, .declareLost, .claimReturned, .markMissing,
                .markFound:
                return .allowed
            default: return command.isRead ? .allowed : .forbidden
            }
        case .member:
            switch command {
            case .getItem, .listItems, .searchCatalog: return .allowed
            case .getMember(let id), .memberLoans(let id, _, _), .memberHolds(let id), .placeHold(let id, _): return id == member ? .allowed : .forbidden
            case .renewLoan(let loan): return .ownLoan(loan)
            case .cancelHold(let hold): return .ownHold(hold)
            default: return .forbidden
            }
        }
    }
}
