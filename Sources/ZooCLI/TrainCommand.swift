import ArgumentParser
import Foundation
import ZooConfig
import ZooCore
import ZooData
import ZooTraining

/// `zoo train CONFIG.yaml` or `zoo train --model lenet --dataset fashion-mnist --optimizer adam`.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a zoo model on a dataset; writes runs/NAME-TIMESTAMP/ with config, metrics and checkpoints.",
        discussion: """
            Schedules (schedule: {name: ..., ...}): \(ScheduleRegistry.types.map { $0.summary }.joined(separator: "; ")).
            Transforms (keys of dataset:): \(TransformRegistry.types.map { $0.summary }.joined(separator: "; ")).
            See docs/training-config.md.
            """)

    @Argument(help: "A training config (see configs/), or an architecture file to train with the default recipe. Without one, defaults plus the flags below.")
    var config: String?

    @Option(help: "Architecture: a zoo name (see `zoo list`) or a path to an architecture file.") var model: String?
    @Option(help: "Dataset to train on.") var dataset: DatasetArgument?
    @Option(help: ArgumentHelp("Optimizer; each takes torch's defaults:", discussion: OptimizerRegistry.types.map { $0.summary }.joined(separator: "; ")))
    var optimizer: OptimizerArgument?
    // Numbers are taken even when negative (`--lr -1`), so the config's range checks say what is wrong with them.
    @Option(parsing: .unconditional, help: "Learning rate.") var lr: Double?
    @Option(parsing: .unconditional, help: "Epochs to train.") var epochs: Int?
    @Option(name: .customLong("batch-size"), parsing: .unconditional, help: "Images per training step.") var batchSize: Int?
    @Option(parsing: .unconditional, help: "Seed for initial weights, shuffling, augmentation and dropout.") var seed: Int?
    @OptionGroup var dataDirectoryOption: DataDirectoryOption
    @OptionGroup var setOption: SetOption
    @Option(name: .customLong("init-from"), help: "Start from this checkpoint (or shipped weights, lenet@fashion-mnist): every tensor whose name and shape match.")
    var initFrom: String?
    @Option(help: "Layers to keep fixed, comma-separated (conv1,conv2), or all_but_last.") var freeze: String?
    @Option(help: "Run folder (default runs/NAME-TIMESTAMP).") var out: String?
    @Option(help: "Continue the run in this folder (or the folder of this checkpoint) from its last checkpoint; only --epochs and log_every may change.")
    var resume: String?
    @Flag(help: "Plain log lines instead of a progress bar.") var quiet = false
    @OptionGroup var memory: MemoryOption
    @OptionGroup var replicasOption: ReplicasOption
    @OptionGroup var precisionOption: PrecisionOption

    /// The flags as `--set` overrides, so both go through the same checks (messages quote the flag as typed);
    /// a flag and a `--set` of the same key must agree.
    var overrides: [ConfigOverride] {
        get throws {
            func split(_ setting: String) -> (key: String, value: String) {
                let parts = setting.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                return (parts[0].trimmingCharacters(in: .whitespaces), parts.count > 1 ? parts[1] : "")
            }
            for (flag, typed) in flagOverrides {
                let flag = split(flag)
                for set in setOption.settings.map(split) where set.key == flag.key {
                    guard set.value == flag.value || (Double(set.value) != nil && Double(set.value) == Double(flag.value)) else {
                        throw ZooError("\(typed) but --set \(set.key)=\(set.value) says otherwise",
                                       hint: "give the value once, as a flag or as --set")
                    }
                }
            }
            return try flagOverrides.map { try ConfigOverride($0.setting, typed: $0.typed) } + setOption.settings.map { try ConfigOverride($0) }
        }
    }

    /// Each flag given: the setting it makes and the flag as typed.
    private var flagOverrides: [(setting: String, typed: String)] {
        var overrides: [(String, String)] = []
        if let model { overrides.append(("model=\(model)", "--model \(model)")) }
        if let dataset { overrides.append(("dataset=\(dataset.text)", "--dataset \(dataset.text)")) }
        if let optimizer { overrides.append(("optimizer=\(optimizer.text)", "--optimizer \(optimizer.text)")) }
        if let lr { overrides.append(("optimizer.lr=\(lr)", "--lr \(lr)")) }
        if let epochs { overrides.append(("epochs=\(epochs)", "--epochs \(epochs)")) }
        if let batchSize { overrides.append(("batch_size=\(batchSize)", "--batch-size \(batchSize)")) }
        if let seed { overrides.append(("seed=\(seed)", "--seed \(seed)")) }
        if let precision = precisionOption.precision { overrides.append(("precision=\(precision.rawValue)", "--precision \(precision.rawValue)")) }
        if let dataDirectory = dataDirectoryOption.dataDirectory {
            overrides.append(("dataset.data_dir=\(dataDirectory)", "--data-dir \(dataDirectory)"))
        }
        if let initFrom { overrides.append(("init_from=\(initFrom)", "--init-from \(initFrom)")) }
        if let freeze { overrides.append(("freeze=[\(freeze)]", "--freeze \(freeze)")) }
        if let replicas = replicasOption.replicas { overrides.append(("replicas=\(replicas)", "--replicas \(replicas)")) }
        return overrides
    }

    func run() throws {
        try withMPIWhenLaunched { communicator in
            try memory.apply()
            let trainingConfig: TrainingConfig
            let runDirectory: String
            if let resume {
                if config != nil { throw ZooError("--resume takes its config from the run folder; leave out \(config ?? "")") }
                runDirectory = resumedRunFolder(resume)
                let savedPath = (runDirectory as NSString).appendingPathComponent("config.yaml")
                trainingConfig = try resumedConfig(saved: TrainingConfig.load(path: savedPath, settings: []),
                                                   requested: TrainingConfig.load(path: savedPath, settings: try overrides), runDirectory: runDirectory)
            } else {
                let overrides = try self.overrides
                trainingConfig = try config.map { try TrainingConfig.load(path: $0, settings: overrides) } ?? TrainingConfig.defaults(settings: overrides)
                runDirectory = out ?? defaultRunDirectory(name: trainingConfig.name)
            }
            let session = try TrainingSession(config: trainingConfig, registry: ArchitectureRegistry(), runDirectory: runDirectory,
                                              resume: resume != nil,
                                              progress: ProgressOutput(quiet: quiet, logEvery: trainingConfig.logEvery,
                                                                       silent: (communicator?.worker ?? 0) != 0),
                                              communicator: communicator, replicas: trainingConfig.replicas)
            let outcome = try session.run()
            if outcome.interrupted { throw ExitCode(InterruptSignal.exitStatus) }
        }
    }
}

/// runs/NAME-20261123-141502, unique per second.
func defaultRunDirectory(name: String) -> String {
    let formatter = DateFormatter()
    formatter.dateFormat = "yyyyMMdd-HHmmss"
    formatter.locale = Locale(identifier: "en_US_POSIX")
    return "runs/\(name)-\(formatter.string(from: Date()))"
}

