import NIOConcurrencyHelpers
import NIOCore

/// The answers of one event loop's connections, queued by the log's writer thread as their
/// batches become durable. The loop writes them before it reads anything more: at the start of
/// each connection read, and in one task queued when the first answer arrives (for a loop that
/// waits for I/O). An event loop runs the ready reads of a pass before its queued tasks, so
/// answers queued as tasks waited behind up to one read per connection; written first, they
/// end their cycles sooner, and the loop still reads every frame of the pass.
final class AnswerQueue: @unchecked Sendable {
    typealias Answer = @Sendable () -> Void

    private let eventLoop: any EventLoop
    /// At most one answer per frame in flight: connections × `framesInFlightPerConnectionMax`.
    private let queued = NIOLockedValueBox<[Answer]>([])
    /// Whether `writeQueued` is running; read and written on the loop only. Writing an answer
    /// can close its connection, and the close can deliver a frame still buffered for it, whose
    /// read calls `writeQueued` again: that inner call must not write answers queued after
    /// those the outer call holds, or one connection's answers would leave out of order.
    private var writing = false

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Queues an answer; from any thread.
    func push(_ answer: @escaping Answer) {
        let first = queued.withLockedValue { answers in
            answers.append(answer)
            return answers.count == 1
        }
        // Later answers ride on the task the first one queued (or on a read that comes first).
        if first { eventLoop.execute { [self] in writeQueued() } }
    }

    /// Writes every queued answer, in the order queued; on the event loop.
    func writeQueued() {
        eventLoop.preconditionInEventLoop()
        // An inner call leaves the answers to the outer one, which goes on until none is left.
        guard !writing else { return }
        writing = true
        defer { writing = false }
        while true {
            var answers: [Answer] = []
            queued.withLockedValue { swap(&answers, &$0) }
            if answers.isEmpty { return }
            for answer in answers { answer() }
        }
    }
}
