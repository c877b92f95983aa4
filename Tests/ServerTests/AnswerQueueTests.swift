import Dispatch
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
@testable import Server
import Testing

/// Answers queued by other threads run on their event loop, each once and in the order queued,
/// whether a read writes them first or the loop's own task does.
@Suite struct AnswerQueueTests {
    /// Records each answer's number and whether it ran on the loop; done once `expected` have run.
    final class Record: Sendable {
        let ran = NIOLockedValueBox<[(number: Int, onLoop: Bool)]>([])
        let expected: Int
        let done = DispatchSemaphore(value: 0)

        init(expected: Int) { self.expected = expected }

        func answer(_ number: Int, loop: any EventLoop) -> AnswerQueue.Answer {
            { [self] in
                let count = ran.withLockedValue {
                    $0.append((number, loop.inEventLoop))
                    return $0.count
                }
                if count == expected { done.signal() }
            }
        }
    }

    @Test func aReadWritesTheAnswersQueuedBeforeItAndTheLoopsTaskFindsNoneLeft() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let queue = AnswerQueue(eventLoop: loop)
        let record = Record(expected: 50)
        // The loop is busy (a pass over its connections) while the writer thread queues answers.
        let release = DispatchSemaphore(value: 0)
        let drainedByRead = NIOLockedValueBox(0)
        loop.execute {
            release.wait()
            // A connection read in the same pass: it writes the queued answers before its frame.
            queue.writeQueued()
            drainedByRead.withLockedValue { $0 = record.ran.withLockedValue { $0.count } }
        }
        for number in 0..<50 { queue.push(record.answer(number, loop: loop)) }
        release.signal()
        let allRan = record.done.wait(timeout: .now() + 30) == .success
        #expect(allRan)
        // The task the first push queued runs after the read's pass and finds the queue empty.
        try loop.submit {}.wait()
        let ran = record.ran.withLockedValue { $0 }
        let writtenByRead = drainedByRead.withLockedValue { $0 }
        #expect(writtenByRead == 50)
        #expect(ran.map(\.number) == Array(0..<50))
        let allOnLoop = ran.allSatisfy(\.onLoop)
        #expect(allOnLoop)
    }

    /// Four threads queue 40,000 answers while the loop writes some from reads and the rest from
    /// its tasks, then two threads 1,000 more with no reads: none is lost (a queue that is emptied
    /// while answers arrive must queue a new task for the next one) and none runs twice.
    @Test func answersQueuedFromManyThreadsAllRunOnce() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let queue = AnswerQueue(eventLoop: loop)
        let perThread = 10_000
        let record = Record(expected: 4 * perThread)
        // Reads now and then, as connections would.
        let reads = DispatchGroup()
        DispatchQueue.global().async(group: reads) {
            for _ in 0..<2_000 { try? loop.submit { queue.writeQueued() }.wait() }
        }
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for index in 0..<perThread { queue.push(record.answer(thread * perThread + index, loop: loop)) }
        }
        let allRan = record.done.wait(timeout: .now() + 30) == .success
        #expect(allRan)
        reads.wait()
        try loop.submit {}.wait()
        let ran = record.ran.withLockedValue { $0 }
        #expect(ran.count == 4 * perThread)
        #expect(Set(ran.map(\.number)).count == 4 * perThread)
        let allOnLoop = ran.allSatisfy(\.onLoop)
        #expect(allOnLoop)
        // Each thread's answers ran in the order it queued them.
        for thread in 0..<4 {
            let mine = ran.map(\.number).filter { $0 / perThread == thread }
            #expect(mine == mine.sorted())
        }
        // With no reads at all, the loop's own tasks write every answer.
        let later = Record(expected: 1_000)
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            for index in 0..<500 { queue.push(later.answer(thread * 500 + index, loop: loop)) }
        }
        let laterRan = later.done.wait(timeout: .now() + 30) == .success
        #expect(laterRan)
    }
}
