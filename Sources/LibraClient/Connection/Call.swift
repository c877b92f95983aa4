import Engine
import NIOCore

/// One submission to a connection: its commands, already encoded, travel in one frame
/// (possibly together with other calls) and are answered together.
///
/// Created on any thread; after `Connection.submit` its mutable state is touched only on the
/// connection's event loop.
final class Call: @unchecked Sendable {
    let commands: EncodedCommands
    let promise: EventLoopPromise<[Outcome]>

    // Event-loop state.
    var isDone = false
    /// Times the call was sent again after a drop.
    var resends = 0
    var timer: Scheduled<Void>?

    init(_ commands: EncodedCommands, eventLoop: any EventLoop) {
        precondition(commands.count >= 1)
        self.commands = commands
        self.promise = eventLoop.makePromise()
    }

    var count: Int { commands.count }
}

/// Commands in their canonical encoding, concatenated: exactly what follows the count in a
/// BATCH payload.
struct EncodedCommands: Sendable {
    var count = 0
    var bytes: [UInt8] = []
    /// True when sending the commands twice cannot apply anything twice: every one is a read or
    /// carries an idempotency key.
    var isRetrySafe = true

    /// Appends one request encoded on its own (`single`), so that a caller can first check that
    /// it fits.
    mutating func append(_ request: Request, encoded single: [UInt8]) {
        bytes.append(contentsOf: single)
        count += 1
        if !request.command.isRead && request.idempotencyKey == nil { isRetrySafe = false }
    }

    /// Cuts requests into runs that each fit one frame: at most `commandsMax` commands and
    /// `bytesMax` payload bytes (a single command larger than that still gets a run of its own,
    /// and the server refuses it).
    static func cut(_ requests: [Request], commandsMax: Int, bytesMax: Int) -> [EncodedCommands] {
        var runs: [EncodedCommands] = []
        var current = EncodedCommands()
        var scratch = ByteWriter(capacity: 256)
        for request in requests {
            scratch.removeAll()
            request.encode(to: &scratch)
            if current.count > 0 && (current.count >= commandsMax || current.bytes.count + scratch.bytes.count > bytesMax) {
                runs.append(current)
                current = EncodedCommands()
            }
            current.append(request, encoded: scratch.bytes)
        }
        if current.count > 0 { runs.append(current) }
        return runs
    }
}
