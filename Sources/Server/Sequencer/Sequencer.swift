import Engine
import NIOConcurrencyHelpers
import WAL

/// Gathers the commands of every connection into engine batches. One loop runs a batch and
/// appends its record while the previous batch's write is in flight; the log's writer thread
/// answers each batch, in order, as soon as its record is durable. No task per command or per
/// frame: connections enqueue with a lock and are answered through their completion.
public final class Sequencer: Sendable {
    public typealias Completion = @Sendable (Result<[Outcome], SequencerFailure>) -> Void

    struct Submission {
        var requests: [Request]
        /// Who sent them (the token's id), recorded with their events.
        var actor: String
        var completion: Completion
        var enqueuedAt: Double
        /// `RecordBound.bytes(requests)`, computed once, outside the queue's lock.
        var boundBytes: Int
    }

    struct Pending {
        var submissions: [Submission] = []
        var waiter: CheckedContinuation<Void, Never>?
        var closed = false

        /// The parked execute loop's continuation, if any, for the caller to resume.
        mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
            defer { waiter = nil }
            return waiter
        }
    }

    public let database: Database
    private let metrics: ServerMetrics
    private let pending = NIOLockedValueBox(Pending())
    private let onFatal: @Sendable (String) -> Void
    /// The most commands one engine batch takes from the queue.
    let commandsPerBatchMax: Int
    let recordBytesMax: Int

    public init(database: Database, metrics: ServerMetrics, commandsPerBatchMax: Int = 16_384, onFatal: @escaping @Sendable (String) -> Void) {
        self.database = database
        self.metrics = metrics
        self.onFatal = onFatal
        self.commandsPerBatchMax = min(commandsPerBatchMax, Limits.commandsPerBatchMax)
        self.recordBytesMax = database.maxRecordBytes
    }

    /// Queues a frame's commands, sent by `actor` (a token's id); `completion` runs once they are
    /// executed and durable. After `close()`, answers SHUTTING_DOWN at once; commands whose log
    /// record could outgrow the log's record limit (a quarter segment) are refused at once,
    /// nothing run, with TOO_MANY_COMMANDS.
    ///
    /// With `wake: false` an idle sequencer is not woken: the caller promises to call `wake()`
    /// soon (a protocol event loop does so once it has read every connection that was ready, so
    /// that the frames of one pass make one batch and one wake-up; see `SubmissionTick`).
    public func submit(_ requests: [Request], actor: String = "", wake: Bool = true, completion: @escaping Completion) {
        let bound = RecordBound.bytes(requests) + RecordBound.actorBytes([ActorRun(actor: actor, count: requests.count)])
        guard bound <= recordBytesMax else { return completion(.failure(.recordTooLarge(boundBytes: bound, limitBytes: recordBytesMax))) }
        let submission = Submission(requests: requests, actor: actor, completion: completion, enqueuedAt: monotonicSeconds(), boundBytes: bound)
        let (accepted, waiter) = pending.withLockedValue { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.closed else { return (false, nil) }
            state.submissions.append(submission)
            return (true, wake ? state.takeWaiter() : nil)
        }
        guard accepted else { return completion(.failure(.shuttingDown)) }
        waiter?.resume()
    }

    /// Whether the execute loop waits for work (for tests: frames queued with `wake: false`
    /// then stay queued until `wake()`).
    var isParked: Bool { pending.withLockedValue { $0.waiter != nil } }

    /// Wakes an idle sequencer if anything is queued (after submissions made with `wake: false`).
    public func wake() {
        let waiter = pending.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.submissions.isEmpty ? nil : state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Runs until `close()` and the queue is drained, and every batch run is answered.
    public func run() async {
        let lastLSN = await executeLoop()
        // Callbacks run in order, so this one comes after every batch's answers.
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            database.whenDurable(lastLSN) { _ in continuation.resume() }
        }
    }

    /// Stops taking new work; what is queued still runs and is answered.
    public func close() {
        let waiter = pending.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.closed = true
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    /// Returns the LSN of the last batch it ran (0: none).
    private func executeLoop() async -> UInt64 {
        var lastLSN: UInt64 = 0
        while true {
            guard let batch = await nextBatch() else { break }
            let requests = batch.count == 1 ? batch[0].requests : batch.flatMap(\.requests)
            let actors = batch.map { ActorRun(actor: $0.actor, count: $0.requests.count) }
            // The submissions' bounds add up to the batch's: one record header, not one each.
            let boundBytes = batch.reduce(RecordBound.batchHeaderBytes) { $0 + $1.boundBytes - RecordBound.batchHeaderBytes }
            do {
                let (outcomes, lsn) = try await database.run(requests, actors: actors, boundBytes: boundBytes)
                metrics.recordBatch(commands: requests.count, frames: batch.count)
                lastLSN = lsn
                database.whenDurable(lsn) { [self] failure in
                    if let failure { return fail(failure) }
                    answer(batch, outcomes)
                }
            } catch let error as WALError {
                if case .batchTooLarge = error {
                    for submission in batch { submission.completion(.failure(.internalError("batch too large for one log record"))) }
                    continue
                }
                fail(error)
                return lastLSN
            } catch {
                fail(error)
                return lastLSN
            }
        }
        return lastLSN
    }

    /// Takes queued submissions up to the batch bounds, waiting when the queue is empty; nil
    /// once closed and drained.
    private func nextBatch() async -> [Submission]? {
        while true {
            let taken = pending.withLockedValue { state -> [Submission]? in
                guard !state.submissions.isEmpty else { return state.closed ? [] : nil }
                var commands = 0
                var bound = 0
                var count = 0
                for submission in state.submissions {
                    if count > 0 && (commands + submission.requests.count > commandsPerBatchMax || bound + submission.boundBytes > recordBytesMax) { break }
                    commands += submission.requests.count
                    bound += submission.boundBytes
                    count += 1
                }
                let batch = Array(state.submissions.prefix(count))
                state.submissions.removeFirst(count)
                return batch
            }
            if let taken { return taken.isEmpty ? nil : taken }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = pending.withLockedValue { state -> Bool in
                    if !state.submissions.isEmpty || state.closed { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Answers a batch's frames, each with its outcomes; on the log's writer thread, once the
    /// batch is durable.
    private func answer(_ batch: [Submission], _ outcomes: [Outcome]) {
        let now = monotonicSeconds()
        var offset = 0
        for submission in batch {
            let count = submission.requests.count
            let answers = Array(outcomes[offset..<offset + count])
            offset += count
            metrics.recordFrame(requests: submission.requests, outcomes: answers, seconds: now - submission.enqueuedAt)
            submission.completion(.success(answers))
        }
    }

    /// A log failure is fail-stop: nothing more is acknowledged, and the process exits.
    private func fail(_ error: any Error) {
        onFatal("log failure, stopping: \(error)")
    }
}

public enum SequencerFailure: Error, Sendable, Hashable {
    case shuttingDown
    case internalError(String)
    /// A frame's commands could take more log than one record may hold (`--segment-mib` / 4).
    case recordTooLarge(boundBytes: Int, limitBytes: Int)

    public var refusal: Refusal {
        switch self {
        case .shuttingDown: Refusal(.shuttingDown)
        case .internalError: Refusal(.internalError)
        case .recordTooLarge: Refusal(.tooManyCommands)
        }
    }
}
