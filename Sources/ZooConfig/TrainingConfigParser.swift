import Foundation
import Yams
import ZooCore
import ZooData

extension OptimizerName {
    /// The settings this optimizer takes besides `name`.
    public var settings: [String] {
        switch self {
        case .sgd: return ["lr", "momentum", "dampening", "nesterov", "weight_decay"]
        case .adam, .adamw: return ["lr", "betas", "eps", "weight_decay"]
        }
    }
}

/// The `schedule:` names and the settings each takes besides `name`.
enum ScheduleName: String, CaseIterable {
    case none, step, multistep, cosine, warmup, warmupCosine = "warmup_cosine"

    var settings: [String] {
        switch self {
        case .none: return []
        case .step: return ["step_size", "gamma"]
        case .multistep: return ["milestones", "gamma"]
        case .cosine: return ["t_max", "eta_min"]
        case .warmup: return ["epochs", "start_factor"]
        case .warmupCosine: return ["warmup_epochs", "start_factor", "t_max", "eta_min"]
        }
    }
}

extension TrainingConfig {
    /// The keys of a training config file (see docs/training-config.md).
    public static let keys = ["name", "model", "dataset", "optimizer", "schedule", "epochs", "batch_size", "seed", "loss", "log_every"]
    public static let datasetKeys = ["name", "normalize", "data_dir", "pad_to", "permute_pixels", "random_crop", "hflip"]
    /// Sections written either as a bare name (`optimizer: adam`) or as a mapping with `name`.
    static let namedSections = ["model", "dataset", "optimizer", "schedule"]
    static let defaultModel = "lenet"
    /// Transforms beyond this many pixels a side would only exhaust memory.
    static let maximumImageSide = 1024

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
        case "optimizer": return OptimizerName(rawValue: newName)?.settings.contains(key) ?? false
        case "schedule": return ScheduleName(rawValue: newName)?.settings.contains(key) ?? false
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
    private static func readModel(_ field: ConfigField, _ reader: ConfigReader) throws -> (String, [String: String]) {
        func modelName(_ field: ConfigField) throws -> String {
            let name = try reader.text(field)
            if name.isEmpty { throw reader.fail("the model name is empty", at: field, hint: "write an architecture name such as `lenet`, or a path") }
            return name
        }
        guard case .mapping(let mapping) = field.node else { return (try modelName(field), [:]) }
        var name = defaultModel, parameters: [String: String] = [:]
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            let entry = field.child(key, value)
            if key == "name" {
                name = try modelName(entry)
            } else {
                guard Expression.isIdentifier(key) else {
                    throw reader.fail("model parameter `\(key)` must be a word of letters, digits and `_`", at: field.child(key, keyNode))
                }
                guard case .scalar = value, !isNull(value) else {
                    throw reader.fail("model parameter `\(key)` must be a number or true/false, not \(kind(of: value))", at: entry)
                }
                parameters[key] = try reader.text(entry)
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
        let entries = try reader.entries(of: field, allowed: datasetKeys, owner: "`dataset`")
        config.dataset = try entries["name"].map(parseName) ?? .mnist
        config.normalize = try entries["normalize"].map(reader.flag) ?? true
        config.dataDirectory = try entries["data_dir"].map(reader.text)
        if let size = entries["pad_to"] {
            config.transforms.append(.padTo(try reader.integer(size, atLeast: 1, atMost: maximumImageSide)))
        }
        if let seed = entries["permute_pixels"] {
            config.transforms.append(.permutePixels(seed: UInt64(try reader.integer(seed, atLeast: 0))))
        }
        if let crop = entries["random_crop"] {
            let settings = try reader.entries(of: crop, allowed: ["size", "padding"], owner: "`random_crop`")
            let size = try settings["size"].map { try reader.integer($0, atLeast: 1, atMost: maximumImageSide) } ?? config.dataset.height
            let padding = try settings["padding"].map { try reader.integer($0, atLeast: 0, atMost: maximumImageSide) } ?? 0
            config.transforms.append(.randomCrop(size: size, padding: padding))
        }
        if let flip = entries["hflip"], try reader.flag(flip) {
            config.transforms.append(.horizontalFlip)
        }
    }

    /// Absent: SGD, lr 0.01, momentum 0.9. A mapping without `name` is that SGD too; a named optimizer
    /// takes torch's defaults for what it leaves out.
    private static func readOptimizer(_ field: ConfigField?, _ reader: ConfigReader) throws -> OptimizerConfig {
        var entries: [String: ConfigField] = [:]
        var name = OptimizerName.sgd, named = false
        if let field {
            if case .mapping(let mapping) = field.node {
                if let nameNode = mapping.first(where: { $0.key.string == "name" })?.value {
                    name = try optimizerName(field.child("name", nameNode), reader)
                    named = true
                }
                entries = try reader.entries(of: field, allowed: ["name"] + name.settings, owner: "the \(name.rawValue) optimizer")
            } else {
                name = try optimizerName(field, reader)
                named = true
            }
        }
        var optimizer = OptimizerConfig(name: name, learningRate: name == .sgd ? 0.01 : 0.001,
                                        momentum: name == .sgd && !named ? 0.9 : 0, dampening: 0, nesterov: false,
                                        weightDecay: name == .adamw ? 0.01 : 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        if let lr = entries["lr"] { optimizer.learningRate = try reader.number(lr, "greater than 0") { $0 > 0 } }
        if let momentum = entries["momentum"] { optimizer.momentum = try reader.number(momentum, "in [0, 1)") { $0 >= 0 && $0 < 1 } }
        if let dampening = entries["dampening"] { optimizer.dampening = try reader.number(dampening, "in [0, 1]") { $0 >= 0 && $0 <= 1 } }
        if let decay = entries["weight_decay"] { optimizer.weightDecay = try reader.number(decay, "of at least 0") { $0 >= 0 } }
        if let eps = entries["eps"] { optimizer.epsilon = try reader.number(eps, "greater than 0") { $0 > 0 } }
        if let betas = entries["betas"] {
            let values = try reader.list(betas).map { try reader.number($0, "in [0, 1)") { $0 >= 0 && $0 < 1 } }
            guard values.count == 2 else {
                throw reader.fail("`\(betas.name)` must be two numbers, such as `[0.9, 0.999]`, not \(values.count)", at: betas)
            }
            (optimizer.beta1, optimizer.beta2) = (values[0], values[1])
        }
        if let nesterov = entries["nesterov"] {
            optimizer.nesterov = try reader.flag(nesterov)
            if optimizer.nesterov && (optimizer.momentum == 0 || optimizer.dampening != 0) {
                throw reader.fail("nesterov momentum needs `momentum` greater than 0 and `dampening` 0, as in torch.optim.SGD", at: nesterov,
                                  hint: "add `momentum: 0.9`, or remove `nesterov`")
            }
        }
        return optimizer
    }

    private static func optimizerName(_ field: ConfigField, _ reader: ConfigReader) throws -> OptimizerName {
        try reader.choice(field, what: "optimizer")
    }

    private static func readSchedule(_ field: ConfigField, epochs: Int, _ reader: ConfigReader) throws -> LearningRateSchedule {
        guard case .mapping(let mapping) = field.node else {
            let name: ScheduleName = try reader.choice(field, what: "schedule")
            return try schedule(name, [:], field: field, epochs: epochs, reader)
        }
        guard let nameNode = mapping.first(where: { $0.key.string == "name" })?.value else {
            throw reader.fail("`schedule` needs a `name`", at: field,
                              hint: "one of \(ScheduleName.allCases.map(\.rawValue).joined(separator: ", ")), e.g. `{name: cosine, t_max: 10}`")
        }
        let name: ScheduleName = try reader.choice(field.child("name", nameNode), what: "schedule")
        let entries = try reader.entries(of: field, allowed: ["name"] + name.settings, owner: "the \(name.rawValue) schedule")
        return try schedule(name, entries, field: field, epochs: epochs, reader)
    }

    private static func schedule(_ name: ScheduleName, _ entries: [String: ConfigField], field: ConfigField, epochs: Int,
                                 _ reader: ConfigReader) throws -> LearningRateSchedule {
        func required(_ key: String) throws -> ConfigField {
            guard let entry = entries[key] else {
                throw reader.fail("the \(name.rawValue) schedule needs `\(key)`", at: field,
                                  hint: "write `schedule: {name: \(name.rawValue), \(name.settings.map { "\($0): ..." }.joined(separator: ", "))}`")
            }
            return entry
        }
        let gamma = try entries["gamma"].map { try reader.number($0, "greater than 0") { $0 > 0 } } ?? 0.1
        let startFactor = try entries["start_factor"].map { try reader.number($0, "in (0, 1]") { $0 > 0 && $0 <= 1 } } ?? 0.1
        let minimum = try entries["eta_min"].map { try reader.number($0, "of at least 0") { $0 >= 0 } } ?? 0
        switch name {
        case .none:
            return .constant
        case .step:
            return .step(stepSize: try reader.integer(required("step_size"), atLeast: 1), gamma: gamma)
        case .multistep:
            let milestones = try required("milestones")
            var epochsSoFar: [Int] = []
            for entry in try reader.list(milestones) {
                let milestone = try reader.integer(entry, atLeast: 1)
                if let last = epochsSoFar.last, milestone <= last {
                    throw reader.fail("`milestones` must increase, but \(milestone) follows \(last)", at: entry, hint: "for example `[30, 60, 90]`")
                }
                epochsSoFar.append(milestone)
            }
            guard !epochsSoFar.isEmpty else { throw reader.fail("`milestones` is empty", at: milestones, hint: "for example `[30, 60, 90]`") }
            return .multiStep(milestones: epochsSoFar, gamma: gamma)
        case .cosine:
            return .cosine(maximumEpochs: try entries["t_max"].map { try reader.integer($0, atLeast: 1) } ?? epochs, minimum: minimum)
        case .warmup:
            return .warmup(epochs: try reader.integer(required("epochs"), atLeast: 1), startFactor: startFactor)
        case .warmupCosine:
            let warmupEpochs = try reader.integer(required("warmup_epochs"), atLeast: 1)
            let maximumEpochs = try entries["t_max"].map { try reader.integer($0, atLeast: 1) } ?? max(epochs - warmupEpochs, 1)
            return .warmupCosine(warmupEpochs: warmupEpochs, startFactor: startFactor, maximumEpochs: maximumEpochs, minimum: minimum)
        }
    }
}
