import ArgumentParser
import Foundation
import ZooConfig
import ZooCore

/// `zoo compare configs/fc_vs_cnn.yaml`: trains each run and prints one table.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare", abstract: "Train several runs (configs, or a config with `runs:`) and compare them in one table.")

    @Argument(help: "Training configs, or a compare config listing several runs.") var configs: [String]
    @Option(help: "Override the epochs of every run.") var epochs: Int?
    @OptionGroup var setOption: SetOption
    @Option(help: "Folder for the run folders (default runs/compare-TIMESTAMP).") var out: String?
    @Flag(help: "Only the table, no per-epoch lines.") var quiet = false

    func run() throws {
        let overrides = (epochs.map { ["epochs=\($0)"] } ?? []) + setOption.settings
        let runs = try configs.flatMap { try CompareConfig.load(path: $0, overrides: overrides) }
        guard !runs.isEmpty else { throw ZooError("no runs to compare", hint: "pass one or more training configs") }
        let folder = out ?? defaultRunDirectory(name: "compare")
        var rows: [[String]] = []
        var finished: [String] = []
        for config in runs {
            let session = try TrainingSession(config: config, registry: ArchitectureRegistry(),
                                              runDirectory: (folder as NSString).appendingPathComponent(config.name), resume: false,
                                              progress: ProgressOutput(quiet: true, logEvery: config.logEvery, silent: quiet))
            let outcome = try session.run()
            finished.append(config.name)
            rows.append([config.name, session.architecture.name, grouped(session.network.parameterCount), String(outcome.epochs),
                         String(format: "%.2f%%", outcome.testAccuracy * 100), String(format: "%.1f", outcome.seconds)])
            if outcome.interrupted { break }
        }
        try RunRecorder.writeComparison(folder: folder, runs: finished)
        print(table(["run", "model", "parameters", "epochs", "test accuracy", "seconds"], rows, rightAligned: [2, 3, 4, 5]))
    }
}
