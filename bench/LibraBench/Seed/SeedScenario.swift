import ArgumentParser

/// The two datasets of issue 5. Everything else about their shape (skew, classes, seasons,
/// lateness) is the same, in `SeedCatalog` and `SeedHistory`.
struct SeedScenario: Sendable {
    var name: String
    var items: Int
    var members: Int
    /// The number of historical loans aimed at; the stream's day-by-day rounding lands within a
    /// few of it.
    var loans: Int
    /// How far back the history reaches, in days before the end date.
    var historyDays: Int

    static let minimal = SeedScenario(name: "minimal", items: 5_000, members: 1_000, loans: 2_250, historyDays: 365)
    static let highScale = SeedScenario(name: "high_scale", items: 200_000, members: 60_000, loans: 4_000_000, historyDays: 3_652)

    static func named(_ name: String) -> SeedScenario? {
        switch name {
        case "minimal": .minimal
        case "high_scale", "high-scale": .highScale
        default: nil
        }
    }
}
