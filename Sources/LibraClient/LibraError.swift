import Engine
import LibraProtocol

/// Everything a `LibraClient` call can throw.
///
/// - `refused`: the server ran the command and refused it; nothing changed. The refusal's code is
///   one of the stable `ErrorCode`s (`NO_COPY_AVAILABLE`, `LOAN_LIMIT_REACHED`, ...), its
///   `message` says what a librarian can do.
/// - `rejected`: the server did not run the frame at all (`UNAUTHENTICATED`, `RATE_LIMITED`,
///   `TOO_MANY_COMMANDS`, `INTERNAL_ERROR`, ...). Every call that shared the frame gets the same.
/// - `connectionLost`: the connection dropped and could not be restored within
///   `RetryPolicy.attempts`, or the call could not safely be resent (a mutation without an
///   idempotency key). A mutation may or may not have taken effect.
/// - `timedOut`: no answer within `ClientConfiguration.requestTimeout`. A mutation may or may
///   not have taken effect; resending it with the same idempotency key is safe.
/// - `closed`: the client was closed before the call was answered.
/// - `cancelled`: the calling task was cancelled before the answer arrived.
/// - `unreachable`: `connect` could not open a connection (refused, unresolvable, timed out).
/// - `invalidConfiguration`: a `ClientConfiguration` field is out of bounds.
/// - `protocolViolation`: the server answered something this client cannot read.
public enum LibraError: Error, Sendable, Hashable, CustomStringConvertible {
    case refused(Refusal)
    case rejected(ProtocolRefusal)
    case connectionLost
    case timedOut
    case closed
    case cancelled
    case unreachable(String)
    case invalidConfiguration(String)
    case protocolViolation(String)

    /// The stable error code, for a refusal or a rejection.
    public var code: ErrorCode? {
        switch self {
        case .refused(let refusal): refusal.code
        case .rejected(let refusal): refusal.code
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .refused(let refusal): "refused \(refusal): \(refusal.message)"
        case .rejected(let refusal): "rejected \(refusal)"
        case .connectionLost: "connection lost: the server could not be reached again within the retry attempts"
        case .timedOut: "timed out: no answer within the request timeout"
        case .closed: "the client is closed"
        case .cancelled: "the calling task was cancelled"
        case .unreachable(let detail): "cannot connect: \(detail)"
        case .invalidConfiguration(let detail): "invalid configuration: \(detail)"
        case .protocolViolation(let detail): "protocol violation: \(detail)"
        }
    }
}
