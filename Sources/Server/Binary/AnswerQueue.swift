import NIOConcurrencyHelpers
import NIOCore

/// The answers of one event loop's connections, queued by the log's writer thread as their
/// batches become durable. The loop writes them before it reads anything more: at the start of
/// each connection read, and in one task queued when the first answer arrives (for a loop that
/// waits for I/O). An event loop runs the ready reads of a pass before its queued tasks, so
/// answers queued as tasks waited behind up to one read per connection; written first, they
/// end their cycles sooner, and the loop still reads every frame of the pass.
final class AnswerQueue: Sendable {
    typealias Answer = @Sendable () -> Void

    private let eventLoop: any EventLoop
    private let queued = NIOLockedValueBox<[Answer]>([])

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
        let answers = queued.withLockedValue { answers in
            defer { answers.removeAll(keepingCapacity: true) }
            return answers
        }
        for answer in answers { answer() }
    }

    /// One queue per loop of the group, by loop.
    static func perLoop(of group: any EventLoopGroup) -> [ObjectIdentifier: AnswerQueue] {
        var queues: [ObjectIdentifier: AnswerQueue] = [:]
        for loop in group.makeIterator() { queues[ObjectIdentifier(loop)] = AnswerQueue(eventLoop: loop) }
        return queues
    }
}
