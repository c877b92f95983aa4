import NIOConcurrencyHelpers
import WAL

/// Holds the two bound ports; yields the ready line once, when both are known.
final class NIOLockedValueBoxPorts: Sendable {
    private let box = NIOLockedValueBox<(protocolPort: Int?, httpPort: Int?, announced: Bool)>((nil, nil, false))

    func update(protocolPort: Int?, httpPort: Int?, host: String, directory: String, fsync: FsyncMode, io: IOPath) -> String? {
        box.withLockedValue { state in
            if let protocolPort { state.protocolPort = protocolPort }
            if let httpPort { state.httpPort = httpPort }
            guard let binary = state.protocolPort, let http = state.httpPort, !state.announced else { return nil }
            state.announced = true
            let unsafe = fsync == .never ? " (UNSAFE: acknowledged writes can be lost)" : ""
            return "ready: protocol \(host):\(binary) http \(host):\(http) data \(directory) io \(io.rawValue) fsync \(fsync.rawValue)\(unsafe)"
        }
    }
}
