import ArgumentParser

@main
struct LibraBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libra-bench",
        abstract: "Measures Libra. Each workload prints progress to stderr and one JSON line to stdout.",
        subcommands: [EngineWorkload.self, WALWorkload.self, RecoverWorkload.self, SeedWorkload.self, LoadWorkload.self, CrashDrill.self, SearchWorkload.self, SearchServerWorkload.self, FollowWorkload.self]
    )
}
