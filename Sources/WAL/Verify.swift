import Engine

/// `libra verify`: recover a data directory offline (read-only in spirit: a torn tail is
/// reported, and cut, exactly as a start would), check every invariant, and summarize.
public struct VerifyReport: Sendable, Equatable {
    public var lsn: UInt64
    public var digest: String
    public var items: Int
    public var members: Int
    public var activeLoans: Int
    public var tornBytes: UInt64
    public var snapshotLSN: UInt64
    public var violations: [String]

    /// One JSON line, as `libra verify` prints it.
    public var jsonLine: String {
        #"{"lsn":\#(lsn),"digest":"\#(digest)","items":\#(items),"members":\#(members),"active_loans":\#(activeLoans),"torn_bytes":\#(tornBytes),"snapshot_lsn":\#(snapshotLSN),"invariant_violations":\#(violations.count)}"#
    }

    public static func run(directory: String, storage: any Storage, options: RecoveryOptions = RecoveryOptions(), log: @escaping (String) -> Void) async throws -> VerifyReport {
        // Verifying must not create what it was asked to check.
        _ = try storage.list(directory)
        let engine = Engine(configuration: EngineConfiguration())
        var options = options
        options.buildsSearchIndex = false
        let (_, recovery) = try await Recovery.recover(into: engine, directory: directory, storage: storage, options: options, log: log)
        let counts = await engine.counts()
        let began = monotonicSeconds()
        let digest = await engine.digest()
        let digested = monotonicSeconds()
        log("state digest computed in \(Int((digested - began) * 1000)) ms; checking every invariant")
        let violations = await engine.invariantViolations()
        log("\(violations.count) invariant violations, checked in \(Int((monotonicSeconds() - digested) * 1000)) ms")
        return VerifyReport(
            lsn: recovery.lastLSN, digest: digest.description, items: counts.items, members: counts.members,
            activeLoans: counts.activeLoans, tornBytes: recovery.tornBytes, snapshotLSN: recovery.snapshotLSN, violations: violations)
    }
}
