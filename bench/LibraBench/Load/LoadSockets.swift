import CEpoll
import CURing
import Foundation
import LibraProtocol
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The sockets of `libra-bench load`: the connections shared out over one or a few threads
/// (`--threads`), over plain nonblocking TCP sockets and one epoll set per thread, with no
/// event-loop framework between the workload and the kernel. On a 2-core machine the load
/// generator's CPU is taken from the server it measures, so a frame costs the client one `send`,
/// one `recv` and a share of one `epoll_wait`, and nothing it can avoid on top (docs/benchmarks.md,
/// "A load generator on plain sockets").
final class LoadSockets: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private struct Connection {
        let fd: Int32
        /// The connection's place in its thread's `connections`, which its epoll reports carry.
        let index: Int
        /// Its thread's epoll set.
        let epoll: Int32
        var cycles: LoadCycles
        /// Bytes received and not yet taken as whole frames.
        var input: ByteBuffer
        /// Bytes the kernel has not yet accepted.
        var output: ByteBuffer
        var watchingWritable = false
        var open = true
    }

    /// Bytes asked of the kernel per `recv`; a level-triggered epoll reports the socket again
    /// when more is waiting, so one call per wake-up is enough.
    static let receiveBytes = 64 * 1024
    /// Readiness reports taken per `epoll_wait`.
    static let eventsPerWait = 256

    /// One epoll set per thread.
    private var epolls: [Int32] = []
    /// Each thread's connections: touched by the caller until `run` starts, then by that
    /// thread alone.
    private var connections: [[Connection]]
    private let stopping = Atomic<Bool>(false)

    /// Connects one socket per workload (blocking connects, then nonblocking sockets), deals them
    /// out to `threads` threads in turn, and queues each one's HELLO.
    init(host: String, port: Int, workloads: [LoadCycles], threads: Int = 1) throws {
        precondition(threads >= 1)
        connections = Array(repeating: [], count: threads)
        for _ in 0..<threads {
            let epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
            guard epoll >= 0 else { throw Failure(description: "epoll_create1: \(Self.lastError())") }
            epolls.append(epoll)
        }
        let allocator = ByteBufferAllocator()
        for (number, cycles) in workloads.enumerated() {
            let thread = number % threads
            let fd = try Self.connect(host: host, port: port)
            var output = allocator.buffer(capacity: 4096)
            cycles.writeHello(to: &output)
            let connection = Connection(fd: fd, index: connections[thread].count, epoll: epolls[thread], cycles: cycles, input: allocator.buffer(capacity: Self.receiveBytes), output: output)
            connections[thread].append(connection)
            guard watch(connection, writable: false, operation: EPOLL_CTL_ADD) else { throw Failure(description: "epoll_ctl: \(Self.lastError())") }
        }
    }

    deinit {
        for connection in connections.joined() where connection.open { close(connection.fd) }
        for epoll in epolls { close(epoll) }
    }

    /// Makes `run` return; answers that arrive until then are still counted.
    func stop() { stopping.store(true, ordering: .relaxed) }

    /// Runs the connections on their threads until `stop`, or until none is left open.
    func run(stats: LoadStatistics) async {
        await withTaskGroup(of: Void.self) { group in
            for thread in epolls.indices {
                group.addTask {
                    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
                        let body = Thread {
                            // Named from inside, where it names the OS thread (top -H, perf, /proc).
                            _ = libra_thread_set_name("libra-load")
                            self.loop(thread, stats: stats)
                            done.resume()
                        }
                        body.start()
                    }
                }
            }
        }
    }

    private func loop(_ thread: Int, stats: LoadStatistics) {
        let epoll = epolls[thread]
        var connections: [Connection] = []
        swap(&connections, &self.connections[thread])
        defer { swap(&connections, &self.connections[thread]) }
        for index in connections.indices { flush(&connections[index], stats: stats) }
        var events = [epoll_event](repeating: epoll_event(), count: Self.eventsPerWait)
        var openCount = connections.count { $0.open }
        while !stopping.load(ordering: .relaxed), openCount > 0 {
            let ready = events.withUnsafeMutableBufferPointer { epoll_wait(epoll, $0.baseAddress, Int32($0.count), 100) }
            if ready < 0 {
                if errno == EINTR { continue }
                stats.count(error: "EPOLL: \(Self.lastError())")
                return
            }
            for event in events[0..<Int(ready)] {
                let index = Int(event.data.u64)
                guard connections[index].open else { continue }
                if event.events & (EPOLLIN.rawValue | EPOLLHUP.rawValue | EPOLLERR.rawValue) != 0 {
                    receive(&connections[index], stats: stats)
                }
                // Answers taken above may have queued frames; a writable report lets a
                // backlog go on.
                if connections[index].open { flush(&connections[index], stats: stats) }
                if !connections[index].open { openCount -= 1 }
            }
        }
    }

    /// One `recv`, then every whole frame it completed, in order.
    private func receive(_ connection: inout Connection, stats: LoadStatistics) {
        let fd = connection.fd
        var received = 0
        connection.input.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.receiveBytes) { free in
            received = recv(fd, free.baseAddress, free.count, 0)
            return max(received, 0)
        }
        if received == 0 {
            stats.count(error: "CONNECTION_CLOSED_BY_SERVER")
            shut(&connection)
            return
        }
        if received < 0 {
            guard errno != EAGAIN, errno != EINTR else { return }
            stats.count(error: "CONNECTION: \(Self.lastError())")
            shut(&connection)
            return
        }
        frames: while true {
            let split: Frame.Split
            do {
                split = try Frame.split(&connection.input)
            } catch {
                stats.count(error: "UNDECODABLE_FRAME")
                shut(&connection)
                return
            }
            switch split {
            case .incomplete:
                break frames
            case .oversized:
                stats.count(error: "OVERSIZED_FRAME")
                shut(&connection)
                return
            case .frame(var frame):
                connection.cycles.take(frame.header, payload: &frame.payload, output: &connection.output, stats: stats)
            }
        }
        if connection.input.readableBytes == 0 {
            connection.input.clear()
        } else if connection.input.readerIndex >= Self.receiveBytes {
            connection.input.discardReadBytes()
        }
    }

    /// Hands the kernel what it will take of the queued bytes, and watches for room when some stay.
    private func flush(_ connection: inout Connection, stats: LoadStatistics) {
        if connection.output.readableBytes > 0 {
            let fd = connection.fd
            var sent = 0
            connection.output.withUnsafeReadableBytes { bytes in sent = send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
            if sent > 0 {
                connection.output.moveReaderIndex(forwardBy: sent)
                // A backlog that never drains must not keep what was sent: growing would copy it.
                if connection.output.readableBytes > 0, connection.output.readerIndex >= Self.receiveBytes { connection.output.discardReadBytes() }
            } else if sent < 0, errno != EAGAIN, errno != EINTR {
                stats.count(error: "CONNECTION: \(Self.lastError())")
                shut(&connection)
                return
            }
        }
        let pending = connection.output.readableBytes > 0
        if !pending { connection.output.clear() }
        guard pending != connection.watchingWritable else { return }
        connection.watchingWritable = pending
        _ = watch(connection, writable: pending, operation: EPOLL_CTL_MOD)
    }

    /// Registers the socket for readability, and for room to write when `writable`.
    private func watch(_ connection: Connection, writable: Bool, operation: Int32) -> Bool {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | (writable ? EPOLLOUT.rawValue : 0)
        event.data.u64 = UInt64(connection.index)
        return epoll_ctl(connection.epoll, operation, connection.fd, &event) == 0
    }

    private func shut(_ connection: inout Connection) {
        epoll_ctl(connection.epoll, EPOLL_CTL_DEL, connection.fd, nil)
        close(connection.fd)
        connection.open = false
    }

    private static func connect(host: String, port: Int) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &found)
        guard status == 0, let first = found else { throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))") }
        defer { freeaddrinfo(first) }
        var failure = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), address.pointee.ai_protocol)
            guard fd >= 0 else {
                failure = lastError()
                continue
            }
            guard Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
                failure = lastError()
                close(fd)
                continue
            }
            var on: Int32 = 1
            _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            return fd
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(failure)")
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}
