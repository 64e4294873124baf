import Foundation
import ZooConfig
import ZooCore

/// A resume continues the same run: besides the number of epochs, only settings that do not change what
/// is trained may differ from the run's config.yaml (how often to log, where the dataset's files are).
/// Anything else would append another experiment's epochs to this run's metrics and checkpoints.
public func resumedConfig(saved: TrainingConfig, requested: TrainingConfig, runDirectory: String) throws -> TrainingConfig {
    var comparable = requested
    comparable.epochs = saved.epochs
    comparable.logEvery = saved.logEvery
    comparable.dataDirectory = saved.dataDirectory
    guard comparable != saved else { return requested }
    // The resolved config has one line per top-level key, so differing lines name the changed settings.
    let before = saved.resolvedYAML.split(separator: "\n").map(String.init)
    let after = comparable.resolvedYAML.split(separator: "\n").map(String.init)
    let changes = after.filter { !before.contains($0) }.map { line in
        let key = line.prefix { $0 != ":" }
        return "`\(line)` (was `\(before.first { $0.hasPrefix(key + ":") } ?? "not set")`)"
    } + before.filter { line in !after.contains { $0.hasPrefix(line.prefix { $0 != ":" } + ":") } }.map { "`\($0)` (now not set)" }
    throw ZooError("a resume continues the same run, so only `epochs`, `log_every` and `dataset.data_dir` may change, but this changes "
                   + changes.joined(separator: ", "), place: runDirectory,
                   hint: "to train with other settings from these weights, start a new run: "
                       + "`zoo train ... --init-from \((runDirectory as NSString).appendingPathComponent("last.safetensors"))`")
}
