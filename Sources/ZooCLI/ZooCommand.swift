import ArgumentParser

/// The `zoo` command; each subcommand lives in its own file.
public struct ZooCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "A model zoo of convolutional networks defined in YAML, trained on oneDNN.",
        subcommands: [TrainCommand.self, EvalCommand.self, CompareCommand.self, ListCommand.self, SummaryCommand.self, BenchCommand.self, DataCommand.self]
    )

    public init() {}
}
