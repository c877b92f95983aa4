import NIOConcurrencyHelpers
import WAL

/// Collects the two bound ports and announces the `ready:` line once, when both are known.
final class ReadyLine: Sendable {
    private let ports = NIOLockedValueBox<(protocolPort: Int?, httpPort: Int?, announced: Bool)>((nil, nil, false))
    private let describe: @Sendable (_ protocolPort: Int, _ httpPort: Int) -> String
    private let announce: @Sendable (String) -> Void

    init(host: String, directory: String, fsync: FsyncMode, io: IOPath, announce: @escaping @Sendable (String) -> Void) {
        let unsafe = fsync == .never ? " (UNSAFE: acknowledged writes can be lost)" : ""
        describe = { "ready: protocol \(host):\($0) http \(host):\($1) data \(directory) io \(io.rawValue) fsync \(fsync.rawValue)\(unsafe)" }
        self.announce = announce
    }

    func bound(protocolPort: Int? = nil, httpPort: Int? = nil) {
        let line = ports.withLockedValue { state -> String? in
            if let protocolPort { state.protocolPort = protocolPort }
            if let httpPort { state.httpPort = httpPort }
            guard let binary = state.protocolPort, let http = state.httpPort, !state.announced else { return nil }
            state.announced = true
            return describe(binary, http)
        }
        if let line { announce(line) }
    }
}
