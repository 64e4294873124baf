import Foundation
import Yams
import ZooCore
import ZooData

extension TrainingConfig {
    /// The keys of a training config file (see docs/training-config.md).
    public static let keys = ["name", "model", "dataset", "optimizer", "schedule", "epochs", "batch_size", "seed", "loss", "log_every",
                              "init_from", "freeze", "tta", "precision", "validation_split", "evaluate_every", "early_stopping", "ema",
                              "replicas"]
    /// The `dataset:` keys: its own, then one per transform, in the order transforms apply.
    public static var datasetKeys: [String] { ["name", "normalize", "data_dir", "train_limit"] + folderKeys + TransformRegistry.names + batchMixingKeys }
    /// Sections written either as a bare name (`optimizer: adam`) or as a mapping with `name`.
    static let namedSections = ["model", "dataset", "optimizer", "schedule", "loss"]
    static let defaultModel = "lenet"

    /// Reads a training config file and applies `overrides` (`optimizer.lr=0.05`, from `--set`).
    public static func load(path: String, overrides: [String]) throws -> TrainingConfig {
        try load(path: path, settings: overrides.map { try ConfigOverride($0) })
    }

    /// `load(path:overrides:)` with overrides that may come from flags, which messages quote as typed.
    public static func load(path: String, settings: [ConfigOverride]) throws -> TrainingConfig {
        try resolve(text: YAMLLoader.readText(path: path, shown: path, kind: "training config"), file: path, settings: settings)
    }

    /// Parses config text; `file` names it in messages and its stem is the default run name.
    public static func resolve(text: String, file: String, overrides: [String]) throws -> TrainingConfig {
        try resolve(text: text, file: file, settings: overrides.map { try ConfigOverride($0) })
    }

    static func resolve(text: String, file: String, settings: [ConfigOverride]) throws -> TrainingConfig {
        let root = try YAMLLoader.load(text: text, file: file)
        // An architecture file where a training config was expected: that model with the default recipe.
        if let root, isArchitecture(root) {
            return try decode(nil, file: file, defaultName: stem(file), overrides: [ConfigOverride(model: file)] + settings)
        }
        return try decode(root, file: file, defaultName: stem(file), overrides: settings)
    }

    /// True for a file holding a training config rather than an architecture, for commands that take either.
    public static func isTrainingConfig(path: String) -> Bool {
        guard let text = try? YAMLLoader.readText(path: path, shown: path, kind: "file"), let root = try? YAMLLoader.load(text: text, file: path),
              case .mapping(let mapping) = root else { return false }
        return !isArchitecture(root) && mapping.contains { keys.contains($0.key.string ?? "") }
    }

    /// True for the top level of an architecture file (it has `layers:`, which no training config has).
    static func isArchitecture(_ root: Node) -> Bool {
        guard case .mapping(let mapping) = root else { return false }
        return mapping.contains { $0.key.string == "layers" }
    }

    /// The config without a file: every default, then `overrides` (what `zoo train --model ...` flags become).
    public static func defaults(overrides: [String]) throws -> TrainingConfig {
        try defaults(settings: overrides.map { try ConfigOverride($0) })
    }

    public static func defaults(settings: [ConfigOverride]) throws -> TrainingConfig {
        try decode(nil, file: "the command line", defaultName: nil, overrides: settings)
    }

    /// True if `key` of a named section survives renaming it from `oldName` to `newName` (see `overlay`).
    static func keepsSetting(_ key: String, of section: String, from oldName: String?, to newName: String) -> Bool {
        switch section {
        case "optimizer": return OptimizerRegistry.type(named: newName)?.keys.contains(key) ?? false
        case "schedule": return ScheduleRegistry.type(named: newName)?.keys.contains(key) ?? false
        // A loss keeps `label_smoothing`, so a switch to one without it is an error, not a silent drop.
        case "dataset", "loss": return true
        // Model parameters belong to one architecture.
        default: return (oldName ?? defaultModel) == newName
        }
    }

    /// Reads a config tree (nil for no file) after laying `overrides` over it.
    static func decode(_ root: Node?, file: String, defaultName: String?, overrides: [ConfigOverride]) throws -> TrainingConfig {
        let reader = ConfigReader(file: file, overrides: overrides)
        do {
            let config = try decode(root, reader: reader, defaultName: defaultName)
            try reader.mistakes.throwIfAny()
            return config
        } catch {
            throw reader.mistakes.combined(with: error)
        }
    }

    private static func decode(_ root: Node?, reader: ConfigReader, defaultName: String?) throws -> TrainingConfig {
        let overrides = reader.overrides
        var tree = root ?? Node([(Node, Node)]())
        guard case .mapping = tree else {
            throw reader.fail("the top level of a training config must be a mapping of keys such as `model:` and `epochs:`, not \(kind(of: tree))",
                              at: ConfigField(node: tree, path: []), hint: "see configs/lenet_mnist.yaml")
        }
        for override in overrides { tree = override.apply(to: tree) }
        let settings = try SectionReader(reader, ConfigField(node: tree, path: []), allowed: keys, owner: "a training config")
        let top = settings.entries

        let epochs = try settings.integer("epochs", default: 1, atLeast: 1)
        let (model, modelParameters, places) = try top["model"].map { try readModel($0, reader) } ?? (defaultModel, [:], Places())
        var config = TrainingConfig(name: "", model: model, modelParameters: modelParameters, dataset: .builtIn(.mnist), dataDirectory: nil,
                                    normalize: true, transforms: [], optimizer: try readOptimizer(top["optimizer"], reader),
                                    schedule: try top["schedule"].map { try readSchedule($0, epochs: epochs, reader) } ?? .constant,
                                    epochs: epochs, batchSize: try settings.integer("batch_size", default: 64, atLeast: 1),
                                    seed: UInt64(try settings.integer("seed", default: 0, atLeast: 0)),
                                    loss: nil, logEvery: try settings.integer("log_every", default: 100, atLeast: 1))
        config.modelParameterPlaces = places
        if let loss = top["loss"] { (config.loss, config.labelSmoothing) = try readLoss(loss, reader) }
        config.testTimeAugmentation = try top["tta"].flatMap { try readTestTimeAugmentation($0, reader) }
        if let dataset = top["dataset"] { try readDataset(dataset, into: &config, reader) }
        // `--set init_from=~` takes a config's init_from away.
        config.initFrom = try top["init_from"].flatMap { isNull($0.node) ? nil : try reader.text($0) }
        if let field = top["freeze"] { config.freeze = try readFreeze(field, reader) }
        if let precision = top["precision"] { config.precision = try reader.choice(precision, what: "precision") }
        // CoreParallel's range, checked here so the message points at the line.
        config.replicas = try top["replicas"].map { try reader.integer($0, atLeast: 1, atMost: 256) }
        try readValidation(top, into: &config, reader)
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
    private static func readModel(_ field: ConfigField, _ reader: ConfigReader) throws -> (String, [String: ArgumentValue], Places) {
        func modelName(_ field: ConfigField) throws -> String {
            let name = try reader.text(field)
            if name.isEmpty { throw reader.fail("the model name is empty", at: field, hint: "write an architecture name such as `lenet`, or a path") }
            return name
        }
        guard case .mapping(let mapping) = field.node else { return (try modelName(field), [:], Places()) }
        var name = defaultModel, parameters: [String: ArgumentValue] = [:], places = Places()
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
                places.byKey[key] = reader.place(of: entry)
            }
        }
        return (name, parameters, places)
    }

    /// `dataset: mnist`, `dataset: PATH` (an existing folder), or a mapping with `name` (`folder` takes `path`,
    /// `size`, `channels` and `test_fraction`), `normalize`, `data_dir` and transforms.
    private static func readDataset(_ field: ConfigField, into config: inout TrainingConfig, _ reader: ConfigReader) throws {
        func parseSource(_ field: ConfigField) throws -> DatasetSource {
            do {
                return try DatasetSource.parse(reader.text(field))
            } catch let failure as ZooError where failure.location == nil && failure.place == nil {
                throw reader.fail(failure.message, at: field, hint: (failure.hint.map { $0 + "; " } ?? "") + "or give the path of an existing folder of images")
            }
        }
        guard case .mapping = field.node else {
            config.dataset = try parseSource(field)
            return
        }
        let entries = try SectionReader(reader, field, allowed: datasetKeys, owner: "`dataset`")
        // `name: folder` with `path:`, or a name that is itself a folder's path (`--dataset PATH` over a config).
        let named = try entries.entries["name"].flatMap { try reader.text($0) == "folder" ? nil : parseSource($0) }
        switch named {
        case .builtIn(let name)?:
            config.dataset = .builtIn(name)
            for key in folderKeys where entries.contains(key) {
                throw entries.fail("`\(key)` belongs to a folder dataset, not to \(name.rawValue)", at: key,
                                   hint: "write `name: folder` with `path:` to train on a folder of images")
            }
        case .folder(let folder)?:
            config.dataset = .folder(try readFolder(entries, reader, path: folder.path))
        case nil:
            config.dataset = entries.contains("name") ? .folder(try readFolder(entries, reader, path: nil)) : .builtIn(.mnist)
        }
        config.normalize = try entries.flag("normalize", default: true)
        config.dataDirectory = try entries.entries["data_dir"].map(reader.text)
        config.trainLimit = try entries.entries["train_limit"].map { try reader.integer($0, atLeast: 1) }
        let imageHeight: Int
        switch config.dataset {
        case .builtIn(let name): imageHeight = name.height
        case .folder(let settings): imageHeight = settings.size?[0] ?? 0
        }
        config.transforms = try TransformRegistry.types.compactMap { type in
            try type.read(from: entries, imageHeight: imageHeight).map(Transform.init)
        }
        config.batchMixing = try readBatchMixing(entries)
    }

    static let folderKeys = ["path", "size", "channels", "test_fraction"]

    /// `path` comes from `name` when that is the folder's path, else from the `path` key.
    private static func readFolder(_ entries: SectionReader, _ reader: ConfigReader, path: String?) throws -> ImageFolderSettings {
        guard let path = try path ?? entries.entries["path"].map(reader.text) else {
            throw entries.fail("a folder dataset needs `path`", at: nil, hint: "write `dataset: {name: folder, path: PATH}`, PATH holding a folder of images per class")
        }
        var settings = ImageFolderSettings(path: path)
        if let sizeField = entries.entries["size"] {
            let sides = try reader.list(sizeField).map { try reader.integer($0, atLeast: 1, atMost: ImageDecoder.maximumSide) }
            guard sides.count == 2 else { throw reader.fail("`size` is [HEIGHT, WIDTH], such as [28, 28]", at: sizeField) }
            settings.size = sides
        }
        if let channelsField = entries.entries["channels"] {
            let channels = try reader.integer(channelsField, atLeast: 1, atMost: 3)
            guard channels != 2 else { throw reader.fail("`channels` is 1 (gray) or 3 (RGB), not 2", at: channelsField) }
            settings.channels = channels
        }
        settings.testFraction = try entries.number("test_fraction", default: ImageFolderSettings.defaultTestFraction,
                                                   "between 0 and 1") { (0...1).contains($0) }
        return settings
    }

    /// `freeze: [conv1, conv2]`, `freeze: conv1` or `freeze: all_but_last`; the names are checked against the model when it is built.
    private static func readFreeze(_ field: ConfigField, _ reader: ConfigReader) throws -> [String] {
        let isList = if case .sequence = field.node { true } else { false }
        let names = try (isList ? reader.list(field) : [field]).map(reader.text)
        if let empty = names.firstIndex(where: \.isEmpty) {
            throw reader.fail("`freeze` entry \(empty + 1) is empty", at: field, hint: "list layer names, e.g. `freeze: [conv1, conv2]`")
        }
        return names
    }

    /// Absent: SGD, lr 0.01, momentum 0.9. A mapping without `name` is that SGD too; a named optimizer
    /// takes torch's defaults for what it leaves out.
    private static func readOptimizer(_ field: ConfigField?, _ reader: ConfigReader) throws -> OptimizerConfig {
        var type: any OptimizerSettings.Type = SGD.Settings.self
        guard let field else { return OptimizerConfig(try type.read(ArgumentReader([:], owner: "the sgd optimizer"), named: false)) }
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
        let settings = try SectionReader(reader, field, allowed: ["name", "per_step"] + type.keys, owner: "the \(type.name) schedule",
                                         missingHint: missingHint(type))
        return LearningRateSchedule(try type.read(settings, epochs: epochs), perStep: try settings.flag("per_step", default: false))
    }
}
