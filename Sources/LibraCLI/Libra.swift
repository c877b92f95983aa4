import ArgumentParser
import Server

@main
struct Libra: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "libra",
        abstract: "Libra, an in-memory transactional library-circulation server.",
        version: LibraServer.version,
        subcommands: [Serve.self, Verify.self]
    )
}
