import Foundation
import Yams
import ZooCore

/// The runs of `zoo compare`: a file with `runs:` (a list of training configs, each with its own `name`)
/// and optional `defaults:` laid under every run, or a plain training config, which is one run.
///
/// ```yaml
/// defaults: {dataset: mnist, epochs: 1}
/// runs:
///   - {name: fc, model: {name: fc2layer, n_hidden: 8}}
///   - {name: cnn, model: cnn}
/// ```
public enum CompareConfig {
    public static let keys = ["defaults", "runs"]

    public static func load(path: String, overrides: [String]) throws -> [TrainingConfig] {
        try resolve(text: YAMLLoader.readText(path: path, shown: path, kind: "config file"), file: path, overrides: overrides)
    }

    /// The runs in `text`, each merged over `defaults:` and then `overrides` (which apply to every run).
    public static func resolve(text: String, file: String, overrides: [String]) throws -> [TrainingConfig] {
        let root = try YAMLLoader.load(text: text, file: file)
        let settings = try overrides.map { try ConfigOverride($0) }
        guard let root, case .mapping(let mapping) = root, mapping.contains(where: { keys.contains($0.key.string ?? "") }) else {
            return [try TrainingConfig.decode(root, file: file, defaultName: TrainingConfig.stem(file), overrides: settings)]
        }
        let reader = ConfigReader(file: file, overrides: [])
        let top = try reader.entries(of: ConfigField(node: root, path: []), allowed: keys, owner: "a compare file")
        try reader.mistakes.throwIfAny()
        if let defaults = top["defaults"], !isMapping(defaults.node) {
            throw reader.fail("`defaults` must be a mapping of training config keys, such as `{dataset: mnist, epochs: 1}`, not \(kind(of: defaults.node))",
                              at: defaults)
        }
        guard let runList = top["runs"] else {
            throw reader.fail("a compare file with `defaults:` needs `runs:`, a list of runs", at: ConfigField(node: root, path: []),
                              hint: "add `runs:` followed by entries such as `  - {name: cnn, model: cnn}`")
        }
        let runs = try reader.list(runList)
        if runs.isEmpty { throw reader.fail("`runs` is empty; list at least one run", at: runList) }
        if let renaming = settings.last(where: { $0.path == ["name"] }), runs.count > 1 {
            throw ZooError("every run would have the same name", place: renaming.place, hint: "run names must differ; set them in the file")
        }
        var firstRunNamed: [String: Int] = [:]
        var configs: [TrainingConfig] = []
        for (index, run) in runs.enumerated() {
            guard case .mapping(let entries) = run.node else {
                throw reader.fail("run \(index + 1) must be a mapping of training config keys such as `name:` and `model:`, not \(kind(of: run.node))",
                                  at: run)
            }
            guard let nameNode = entries.first(where: { $0.key.string == "name" })?.value else {
                throw reader.fail("run \(index + 1) has no `name`", at: run, hint: "each run needs its own name; it names the run's folder and its row in the comparison")
            }
            let merged = top["defaults"].map { overlay(run.node, on: $0.node, path: []) } ?? run.node
            let config = try TrainingConfig.decode(merged, file: file, defaultName: nil, overrides: settings)
            if let earlier = firstRunNamed[config.name] {
                throw reader.fail("two runs are named `\(config.name)` (runs \(earlier) and \(index + 1))", at: run.child("name", nameNode),
                                  hint: "run names must differ: each names a run folder and a row in the comparison")
            }
            firstRunNamed[config.name] = index + 1
            configs.append(config)
        }
        return configs
    }

    private static func isMapping(_ node: Node) -> Bool {
        if case .mapping = node { return true }
        return false
    }
}
