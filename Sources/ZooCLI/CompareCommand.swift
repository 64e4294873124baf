import ArgumentParser
import Foundation
import ZooConfig
import ZooCore
import ZooReport
import ZooTraining

/// `zoo compare configs/fc_vs_cnn.yaml` trains each run and prints one table; `zoo compare RUN1 RUN2 ...`
/// overlays finished run folders without training.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Train several runs (configs, or a config with `runs:`) and compare them in one table, or overlay finished run folders.")

    @Argument(help: "Training configs, a compare config listing several runs, or run folders to overlay without training.") var configs: [String]
    @Option(help: "Override the epochs of every run.") var epochs: Int?
    @OptionGroup var setOption: SetOption
    @Option(help: "Folder for the run folders and report.html (default runs/compare-TIMESTAMP).") var out: String?
    @Flag(help: "Only the table, no per-epoch lines.") var quiet = false

    func run() throws {
        let folders = configs.filter(isFolder)
        if !folders.isEmpty {
            guard folders.count == configs.count else {
                throw ZooError("\(folders.joined(separator: ", ")) \(folders.count == 1 ? "is a folder" : "are folders") but "
                               + "\(configs.filter { !isFolder($0) }.joined(separator: ", ")) not",
                               hint: "give either run folders, to overlay finished runs, or configs, to train and compare")
            }
            return try overlay(runFolders: folders)
        }
        let overrides = (epochs.map { ["epochs=\($0)"] } ?? []) + setOption.settings
        let runs = try configs.flatMap { try CompareConfig.load(path: $0, overrides: overrides) }
        guard !runs.isEmpty else { throw ZooError("no runs to compare", hint: "pass one or more training configs") }
        let folder = out ?? defaultRunDirectory(name: "compare")
        var rows: [[String]] = []
        var finished: [(name: String, history: [EpochMetrics])] = []
        for config in runs {
            let runFolder = (folder as NSString).appendingPathComponent(config.name)
            let session = try TrainingSession(config: config, registry: ArchitectureRegistry(), runDirectory: runFolder, resume: false,
                                              progress: ProgressOutput(quiet: true, logEvery: config.logEvery, silent: quiet))
            let outcome = try session.run()
            finished.append((config.name, RunRecorder.history(ofRun: runFolder)))
            rows.append([config.name, session.architecture.name, grouped(session.network.parameterCount), String(outcome.epochs),
                         String(format: "%.2f%%", outcome.testAccuracy * 100), String(format: "%.1f", outcome.seconds)])
            if outcome.interrupted { break }
        }
        try RunRecorder.writeComparison(folder: folder, runs: finished)
        print("tensorboard --logdir \(folder) overlays the runs")
        print(table(["run", "model", "parameters", "epochs", "test accuracy", "seconds"], rows, rightAligned: [2, 3, 4, 5]))
    }

    /// Finished runs side by side from their metrics.csv and config.yaml; report.html goes to `--out`.
    private func overlay(runFolders: [String]) throws {
        if epochs != nil || !setOption.settings.isEmpty {
            throw ZooError("--epochs and --set change runs to train; finished run folders are only compared", hint: "leave them out")
        }
        var rows: [[String]] = []
        var runs: [(name: String, history: [EpochMetrics])] = []
        for runFolder in runFolders {
            let history = RunRecorder.history(ofRun: runFolder)
            guard let last = history.last else {
                throw ZooError("the folder has no metrics.csv with a completed epoch, so it is not a run to compare", place: runFolder,
                               hint: "give run folders written by `zoo train` (runs/NAME-TIMESTAMP) that completed at least one epoch")
            }
            let config = try? TrainingConfig.load(path: (runFolder as NSString).appendingPathComponent("config.yaml"), overrides: [])
            let name = (URL(fileURLWithPath: runFolder).standardizedFileURL.lastPathComponent)
            runs.append((name, history))
            rows.append([name, config?.model ?? "?", config?.dataset.shown ?? "?", String(last.epoch),
                         history.compactMap(\.testAccuracy).max().map { String(format: "%.2f%%", $0 * 100) } ?? "-",
                         history.lastEvaluated?.testAccuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "-",
                         String(format: "%.1f", history.reduce(0) { $0 + $1.seconds })])
        }
        let folder = out ?? defaultRunDirectory(name: "compare")
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw fileSystemError("create the compare folder", path: folder, error: error)
        }
        try RunRecorder.writeComparison(folder: folder, runs: runs)
        print(table(["run", "model", "dataset", "epochs", "best test accuracy", "last test accuracy", "seconds"], rows, rightAligned: [3, 4, 5, 6]))
    }

    private func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
