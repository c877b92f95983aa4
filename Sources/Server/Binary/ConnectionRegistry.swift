import NIOConcurrencyHelpers
import NIOCore

/// The open protocol connections: bounded in number, and closed together at shutdown once
/// their answers are written.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBox([ObjectIdentifier: any Channel]())
    let maximum: Int

    init(maximum: Int) { self.maximum = maximum }

    func add(_ channel: any Channel) -> Bool {
        channels.withLockedValue { channels in
            guard channels.count < maximum else { return false }
            channels[ObjectIdentifier(channel)] = channel
            return true
        }
    }

    func remove(_ channel: any Channel) {
        _ = channels.withLockedValue { $0.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    var count: Int { channels.withLockedValue { $0.count } }

    /// Closes every connection after what its event loop has queued (answers included).
    func closeAll() async {
        let open = channels.withLockedValue { Array($0.values) }
        for channel in open {
            try? await channel.eventLoop.submit { channel.close(promise: nil) }.get()
        }
    }
}
