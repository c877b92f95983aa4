import NIOCore

/// Wakes the sequencer once per pass of an event loop over its ready connections, instead of
/// once per frame. A loop reads every connection that epoll reported ready, then runs the tasks
/// queued meanwhile; the frames read in one pass are queued without waking the sequencer, and
/// one task queued behind them wakes it. They then make one batch and one group commit: woken
/// by the first frame, the sequencer would run it alone and make the rest of the pass wait for
/// that batch's log write before their own.
final class SubmissionTick: @unchecked Sendable {
    private let eventLoop: any EventLoop
    private let sequencer: Sequencer
    /// Whether a wake-up is queued on the loop; read and written on the loop only.
    private var scheduled = false

    init(eventLoop: any EventLoop, sequencer: Sequencer) {
        self.eventLoop = eventLoop
        self.sequencer = sequencer
    }

    /// A frame was queued with `wake: false`; on the event loop.
    func submitted() {
        // `scheduled` is the loop's alone: a call from another thread would race on it.
        eventLoop.preconditionInEventLoop()
        guard !scheduled else { return }
        scheduled = true
        eventLoop.execute { [self] in
            scheduled = false
            sequencer.wake()
        }
    }
}
