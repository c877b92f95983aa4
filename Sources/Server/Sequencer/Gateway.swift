import Engine
import LibraProtocol

/// Where every front end hands in a principal's commands: the token is checked (still valid,
/// within its rate), each command against the role, and what is allowed goes to the sequencer.
/// A forbidden command is answered FORBIDDEN and the others in the frame still run.
public final class Gateway: Sendable {
    public let sequencer: Sequencer
    public let access: AccessControl
    public let metrics: ServerMetrics

    public init(sequencer: Sequencer, access: AccessControl, metrics: ServerMetrics) {
        self.sequencer = sequencer
        self.access = access
        self.metrics = metrics
    }

    public typealias Completion = @Sendable (Result<[Outcome], ProtocolRefusal>) -> Void

    /// `wakeLater`: the caller wakes the sequencer itself, soon (see `Sequencer.submit(wake:)`);
    /// only what is submitted before this returns is left to it.
    public func serve(_ requests: [Request], principal: Principal, wakeLater: Bool = false, completion: @escaping Completion) {
        guard access.isValid(principal) else { return refuse(.unauthenticated, completion) }
        guard principal.admit(commands: requests.count) else { return refuse(.rateLimited, completion) }
        var needsOwnership = false
        var allAllowed = true
        let permissions = requests.map { request in
            let permission = principal.permission(for: request.command)
            if permission != .allowed { allAllowed = false }
            switch permission {
            case .ownLoan, .ownHold: needsOwnership = true
            case .allowed, .forbidden: break
            }
            return permission
        }
        // The log names the token behind every command's events (the audit trail).
        let actor = principal.tokenID
        if allAllowed {
            sequencer.submit(requests, actor: actor, wake: !wakeLater) { completion($0.mapError(Self.refusal)) }
            return
        }
        guard needsOwnership, let member = principal.member else {
            return submit(requests, actor: actor, allowed: permissions.map { $0 == .allowed }, wake: !wakeLater, completion)
        }
        // A member renewing a loan or cancelling a hold: look up their active loans and open holds
        // first (rare, so one extra read is fine). The second submission comes from the log's
        // writer thread, which no event loop follows: it wakes the sequencer itself.
        sequencer.submit([Request(.getMember(member)), Request(.memberHolds(member))], actor: actor, wake: !wakeLater) { result in
            var ownLoans: Set<LoanID> = []
            var ownHolds: Set<HoldID> = []
            if case .success(let outcomes) = result {
                if case .ok(.memberWithLoans(let record, _)) = outcomes.first { ownLoans = Set(record.activeLoans.map(\.loan)) }
                if outcomes.count > 1, case .ok(.holds(let holds, _)) = outcomes[1] { ownHolds = Set(holds.map(\.hold.id)) }
            }
            let allowed = permissions.map { permission in
                switch permission {
                case .allowed: true
                case .forbidden: false
                case .ownLoan(let loan): ownLoans.contains(loan)
                case .ownHold(let hold): ownHolds.contains(hold)
                }
            }
            self.submit(requests, actor: actor, allowed: allowed, completion)
        }
    }

    /// The async form, for the HTTP API.
    public func serve(_ requests: [Request], principal: Principal) async -> Result<[Outcome], ProtocolRefusal> {
        await withCheckedContinuation { continuation in serve(requests, principal: principal) { continuation.resume(returning: $0) } }
    }

    private func submit(_ requests: [Request], actor: String, allowed: [Bool], wake: Bool = true, _ completion: @escaping Completion) {
        let permitted = zip(requests, allowed).filter(\.1).map(\.0)
        let merge: @Sendable ([Outcome]) -> [Outcome] = { answers in
            var iterator = answers.makeIterator()
            return allowed.map { $0 ? iterator.next()! : .refused(Refusal(.forbidden)) }
        }
        guard !permitted.isEmpty else { return completion(.success(merge([]))) }
        sequencer.submit(permitted, actor: actor, wake: wake) { result in completion(result.map(merge).mapError(Self.refusal)) }
    }

    private func refuse(_ code: ErrorCode, _ completion: Completion) {
        metrics.recordFrameError(code)
        completion(.failure(ProtocolRefusal(code)))
    }

    static func refusal(_ failure: SequencerFailure) -> ProtocolRefusal {
        switch failure {
        case .shuttingDown: ProtocolRefusal(.shuttingDown)
        case .internalError(let detail): ProtocolRefusal(.internalError, detail)
        case .recordTooLarge(let bound, let limit):
            ProtocolRefusal(
                .tooManyCommands,
                "These commands could take up to \(bound) bytes of log, over the \(limit) bytes one log record may hold here (a quarter of the server's --segment-mib): send fewer commands per frame.")
        }
    }
}
