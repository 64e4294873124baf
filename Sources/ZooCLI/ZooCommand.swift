import ArgumentParser
import Foundation
import ZooCore

/// The `zoo` command; each subcommand lives in its own file.
public struct ZooCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "zoo",
        abstract: "A model zoo of convolutional networks defined in YAML, trained on oneDNN.",
        version: versionText,
        subcommands: [TrainCommand.self, EvalCommand.self, QuantizeCommand.self, PredictCommand.self, ExportCommand.self, CompareCommand.self, ListCommand.self, SummaryCommand.self, BenchCommand.self, DataCommand.self]
    )

    /// zoo's release; `zoo --version` prints it with oneDNN's version and the instruction set its kernels use.
    static let version = "0.1.0"
    static var versionText: String { "zoo \(version), oneDNN \(Device.libraryVersion), CPU ISA \(Device.effectiveISA)" }

    public init() {}

    /// `main()` with one error path for every subcommand: a `ZooError` (or `DNNLError`) is printed as its paragraph and a
    /// mistyped flag or argument with ArgumentParser's message, both with exit status 1 (ArgumentParser's
    /// own code for the latter is 64); `ExitCode`s (130 after Ctrl-C) and `--help` pass through.
    public static func runFromCommandLine() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error where error is ZooError || error is DNNLError {
            printError("\(error)")
            Foundation.exit(1)
        } catch {
            if exitCode(for: error) == .validationFailure {
                printError(fullMessage(for: error))
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// A file skipped or a setting questioned, on standard error so that --json output stays clean.
func printWarning(_ text: String) {
    printError("warning: " + text)
}
