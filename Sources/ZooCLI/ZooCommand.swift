import ArgumentParser
import Foundation

/// The `zoo` command; each subcommand lives in its own file.
public struct ZooCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "A model zoo of convolutional networks defined in YAML, trained on oneDNN.",
        subcommands: [TrainCommand.self, EvalCommand.self, ExportCommand.self, CompareCommand.self, ListCommand.self, SummaryCommand.self, BenchCommand.self, DataCommand.self]
    )

    public init() {}

    /// `main()`, except that a mistyped flag or argument exits with status 1 like every other user error
    /// (ArgumentParser's own code is 64); its message is kept.
    public static func runFromCommandLine() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}
