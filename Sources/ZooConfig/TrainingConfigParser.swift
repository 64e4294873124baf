import Foundation
import Yams
import ZooCore
import ZooData

extension TrainingConfig {
    /// The keys of a training config file (see docs/training-config.md).
    public static let keys = ["name", "model", "dataset", "optimizer", "schedule", "epochs", "batch_size", "seed", "loss", "log_every", "precision"]
    /// The `dataset:` keys: its own, then one per transform, in the order transforms apply.
    public static var datasetKeys: [String] { ["name", "normalize", "data_dir"] + TransformRegistry.names }
    /// Sections written either as a bare name (`optimizer: adam`) or as a mapping with `name`.
    static let namedSections = ["model", "dataset", "optimizer", "schedule"]
    static let defaultModel = "lenet"

    /// Reads a training config file and applies `overrides` (`optimizer.lr=0.05`, from `--set`).
    public static func load(path: String, overrides: [String]) throws -> TrainingConfig {
        try resolve(text: YAMLLoader.readText(path: path, shown: path, kind: "training config"), file: path, overrides: overrides)
    }

    /// Parses config text; `file` names it in messages and its stem is the default run name.
    public static func resolve(text: String, file: String, overrides: [String]) throws -> TrainingConfig {
        try decode(YAMLLoader.load(text: text, file: file), file: file, defaultName: stem(file),
                   overrides: overrides.map(ConfigOverride.init))
    }

    /// The config without a file: every default, then `overrides` (what `zoo train --model ...` flags become).
    public static func defaults(overrides: [String]) throws -> TrainingConfig {
        try decode(nil, file: "the command line", defaultName: nil, overrides: overrides.map(ConfigOverride.init))
    }

    /// True if `key` of a named section survives renaming it from `oldName` to `newName` (see `overlay`).
    static func keepsSetting(_ key: String, of section: String, from oldName: String?, to newName: String) -> Bool {
        switch section {
        case "optimizer": return OptimizerRegistry.type(named: newName)?.keys.contains(key) ?? false
        case "schedule": return ScheduleRegistry.type(named: newName)?.keys.contains(key) ?? false
        case "dataset": return true
        // Model parameters belong to one architecture.
        default: return (oldName ?? defaultModel) == newName
        }
    }

    /// Reads a config tree (nil for no file) after laying `overrides` over it.
    static func decode(_ root: Node?, file: String, defaultName: String?, overrides: [ConfigOverride]) throws -> TrainingConfig {
        let reader = ConfigReader(file: file, overrides: overrides)
        var tree = root ?? Node([(Node, Node)]())
        guard case .mapping = tree else {
            throw reader.fail("the top level of a training config must be a mapping of keys such as `model:` and `epochs:`, not \(kind(of: tree))",
                              at: ConfigField(node: tree, path: []), hint: "see configs/lenet_mnist.yaml")
        }
        for override in overrides { tree = override.apply(to: tree) }
        let top = try reader.entries(of: ConfigField(node: tree, path: []), allowed: keys, owner: "a training config")

        let epochs = try top["epochs"].map { try reader.integer($0, atLeast: 1) } ?? 1
        let (model, modelParameters) = try top["model"].map { try readModel($0, reader) } ?? (defaultModel, [:])
        var config = TrainingConfig(name: "", model: model, modelParameters: modelParameters, dataset: .mnist, dataDirectory: nil,
                                    normalize: true, transforms: [], optimizer: try readOptimizer(top["optimizer"], reader),
                                    schedule: try top["schedule"].map { try readSchedule($0, epochs: epochs, reader) } ?? .constant,
                                    epochs: epochs, batchSize: try top["batch_size"].map { try reader.integer($0, atLeast: 1) } ?? 64,
                                    seed: UInt64(try top["seed"].map { try reader.integer($0, atLeast: 0) } ?? 0),
                                    loss: try top["loss"].map { try reader.choice($0, what: "loss") },
                                    logEvery: try top["log_every"].map { try reader.integer($0, atLeast: 1) } ?? 100)
        if let dataset = top["dataset"] { try readDataset(dataset, into: &config, reader) }
        if let precision = top["precision"] { config.precision = try reader.choice(precision, what: "precision") }
        if let field = top["name"] {
            config.name = try reader.text(field)
            guard !config.name.isEmpty, !config.name.hasPrefix("."),
                  config.name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
                throw reader.fail("`name` names the run folder, so it must be letters, digits, `-`, `_` and `.` (not first), not \"\(config.name)\"", at: field)
            }
        } else {
            config.name = defaultName ?? stem(model)
        }
        return config
    }

    static func stem(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    // MARK: Sections

    /// `model: cnn` or `model: {name: cnn, n_feature: 12}`; every key but `name` is a model parameter.
    private static func readModel(_ field: ConfigField, _ reader: ConfigReader) throws -> (String, [String: ArgumentValue]) {
        func modelName(_ field: ConfigField) throws -> String {
            let name = try reader.text(field)
            if name.isEmpty { throw reader.fail("the model name is empty", at: field, hint: "write an architecture name such as `lenet`, or a path") }
            return name
        }
        guard case .mapping(let mapping) = field.node else { return (try modelName(field), [:]) }
        var name = defaultModel, parameters: [String: ArgumentValue] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let entry = field.child(key, value)
            if key == "name" {
                name = try modelName(entry)
            } else {
                guard Expression.isIdentifier(key) else {
                    throw reader.fail("model parameter `\(key)` must be a word of letters, digits and `_`", at: field.child(key, keyNode))
                }
                guard case .scalar(let scalar) = value, !isNull(value) else {
                    throw reader.fail("model parameter `\(key)` must be a number or true/false, not \(kind(of: value))", at: entry)
                }
                parameters[key] = Architecture.parameterValue(value, text: scalar.string)
            }
        }
        return (name, parameters)
    }

    private static func readDataset(_ field: ConfigField, into config: inout TrainingConfig, _ reader: ConfigReader) throws {
        func parseName(_ field: ConfigField) throws -> DatasetName {
            do {
                return try DatasetName.parse(reader.text(field))
            } catch let failure as ZooError where failure.location == nil && failure.place == nil {
                throw reader.fail(failure.message, at: field, hint: failure.hint)
            }
        }
        guard case .mapping = field.node else {
            config.dataset = try parseName(field)
            return
        }
        let entries = try SectionReader(reader, field, allowed: datasetKeys, owner: "`dataset`")
        config.dataset = try entries.entries["name"].map(parseName) ?? .mnist
        config.normalize = try entries.flag("normalize", default: true)
        config.dataDirectory = try entries.entries["data_dir"].map(reader.text)
        config.transforms = try TransformRegistry.types.compactMap { type in
            try type.read(from: entries, imageHeight: config.dataset.height).map(Transform.init)
        }
    }

    /// Absent: SGD, lr 0.01, momentum 0.9. A mapping without `name` is that SGD too; a named optimizer
    /// takes torch's defaults for what it leaves out.
    private static func readOptimizer(_ field: ConfigField?, _ reader: ConfigReader) throws -> OptimizerConfig {
        var type: any OptimizerSettings.Type = SGD.Settings.self
        guard let field else { return OptimizerConfig(try type.read(DictionarySettingsReader([:], owner: "the sgd optimizer"), named: false)) }
        guard case .mapping(let mapping) = field.node else {
            type = try optimizerType(field, reader)
            return OptimizerConfig(try type.read(SectionReader(reader, bare: field, owner: "the \(type.name) optimizer", missingHint: nil), named: true))
        }
        let nameNode = mapping.first(where: { $0.key.string == "name" })?.value
        if let nameNode { type = try optimizerType(field.child("name", nameNode), reader) }
        let settings = try SectionReader(reader, field, allowed: ["name"] + type.keys, owner: "the \(type.name) optimizer")
        return OptimizerConfig(try type.read(settings, named: nameNode != nil))
    }

    private static func optimizerType(_ field: ConfigField, _ reader: ConfigReader) throws -> any OptimizerSettings.Type {
        try reader.choice(field, what: "optimizer", from: OptimizerRegistry.types) { $0.name }
    }

    private static func readSchedule(_ field: ConfigField, epochs: Int, _ reader: ConfigReader) throws -> LearningRateSchedule {
        func scheduleType(_ field: ConfigField) throws -> any ScheduleSettings.Type {
            try reader.choice(field, what: "schedule", from: ScheduleRegistry.types) { $0.name }
        }
        func missingHint(_ type: any ScheduleSettings.Type) -> String {
            "write `schedule: {name: \(type.name), \(type.keys.map { "\($0): ..." }.joined(separator: ", "))}`"
        }
        guard case .mapping(let mapping) = field.node else {
            let type = try scheduleType(field)
            let owner = "the \(type.name) schedule"
            return LearningRateSchedule(try type.read(SectionReader(reader, bare: field, owner: owner, missingHint: missingHint(type)), epochs: epochs))
        }
        guard let nameNode = mapping.first(where: { $0.key.string == "name" })?.value else {
            throw reader.fail("`schedule` needs a `name`", at: field,
                              hint: "one of \(ScheduleRegistry.names.joined(separator: ", ")), e.g. `{name: cosine, t_max: 10}`")
        }
        let type = try scheduleType(field.child("name", nameNode))
        let settings = try SectionReader(reader, field, allowed: ["name"] + type.keys, owner: "the \(type.name) schedule",
                                         missingHint: missingHint(type))
        return LearningRateSchedule(try type.read(settings, epochs: epochs))
    }
}
