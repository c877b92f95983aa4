import ArgumentParser
import Server

@main
struct Libra: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libra",
        abstract: "Libra, an in-memory transactional library-circulation server.",
        version: Server.version,
        subcommands: [Verify.self]
    )
}
