import Foundation

/// Every metadata key a checkpoint has: the whole format in one place. `Checkpoint` writes and reads the
/// counters and the format tag; the CLI's `CheckpointDescription` the rest, through these names.
public enum CheckpointKey: String, CaseIterable, Sendable {
    /// "zoo-checkpoint-1".
    case format
    /// Training steps taken (dropout masks depend on it) and optimizer steps (Adam's bias correction).
    case trainingStep = "training_step", optimizerSteps = "optimizer_steps"
    /// The architecture's YAML and where it came from, the `params:` overrides (JSON object of numbers and true/false).
    case architecture, architectureSource = "architecture_source", modelParameters = "model_parameters"
    /// The dataset's name, the input shape (JSON list), class names (JSON list), normalisation and test-time transforms (JSON).
    case dataset, inputShape = "input_shape", classNames = "class_names", normalization, testTransforms = "test_transforms"
    /// For a folder dataset (`dataset` is "folder"): its path, image size, channels and test fraction (JSON).
    case datasetFolder = "dataset_folder"
    /// The loss name, the resolved training config (YAML).
    case loss, config
    /// Completed epochs, the best and the latest test accuracy (a fraction; -1 before any evaluation).
    case epoch, bestTestAccuracy = "best_test_accuracy", testAccuracy = "test_accuracy"
    /// Batches per epoch of the run, which a schedule stepping per batch needs unchanged on resume.
    case stepsPerEpoch = "steps_per_epoch"
    /// With `ema`: which weights the checkpoint's own tensors are ("ema" or "trained"), and the moving average's updates.
    case weights, movingAverageUpdates = "ema_updates"
    /// The watched metric's state (JSON of `EpochMonitor`): the best value, its epoch, the epochs since, where it stopped.
    case monitor
}

/// A checkpoint's metadata, read with the care of a YAML file: every value parsed and range-checked, and
/// every failure an error naming the file and the key.
public struct CheckpointMetadata {
    public let values: [String: String]
    public let path: String

    public init(_ values: [String: String], path: String) {
        self.values = values
        self.path = path
    }

    public func error(_ key: CheckpointKey, _ message: String) -> ZooError {
        ZooError("metadata key `\(key.rawValue)`: \(message)", place: path,
                 hint: "the checkpoint was damaged or edited; use another checkpoint of the run, or train again")
    }

    public func string(_ key: CheckpointKey) throws -> String {
        guard let value = values[key.rawValue] else { throw error(key, "missing (the file was not written by `zoo train`, or by an older version)") }
        return value
    }

    public func integer<Value: FixedWidthInteger>(_ key: CheckpointKey, in range: ClosedRange<Value>) throws -> Value {
        let text = try string(key)
        guard let value = Value(text), range.contains(value) else {
            throw error(key, "must be a whole number from \(range.lowerBound) to \(range.upperBound), not `\(text.prefix(40))`")
        }
        return value
    }

    public func number(_ key: CheckpointKey, in range: ClosedRange<Double>) throws -> Double {
        let text = try string(key)
        guard let value = Double(text), range.contains(value) else {
            throw error(key, "must be a number from \(range.lowerBound) to \(range.upperBound), not `\(text.prefix(40))`")
        }
        return value
    }

    public func json<Value: Decodable>(_ key: CheckpointKey, as type: Value.Type) throws -> Value {
        do {
            return try JSONDecoder().decode(Value.self, from: Data(try string(key).utf8))
        } catch let error as ZooError {
            throw error
        } catch {
            throw self.error(key, "is not valid JSON of the expected form")
        }
    }
}

/// A training checkpoint as one safetensors file: every parameter and buffer under its PyTorch `state_dict`
/// name, the optimizer state under `optimizer.<name>.<buffer>`, and string metadata (architecture YAML,
/// dataset, normalisation, epoch, resolved config) so the file alone is enough to evaluate or resume.
/// With `ema`, the moving average is under `ema.<name>`; when it scored better, the checkpoint's own tensors
/// are the average's and the trained weights, which a resume continues from, are under `trained.<name>`.
public struct Checkpoint {
    public static let format = "zoo-checkpoint-1"
    /// Counters above this come from damage, not training.
    public static let maximumCount = 1 << 53
    public var parameters: [String: SafetensorsTensor]
    public var optimizer: OptimizerState?
    public var metadata: [String: String]
    public var movingAverage: [String: SafetensorsTensor] = [:]
    /// Empty unless `parameters` hold the moving average.
    public var trainedWeights: [String: SafetensorsTensor] = [:]
    static let movingAveragePrefix = "ema.", trainedPrefix = "trained."

    public init(network: Network, optimizer: Optimizer?, metadata: [String: String]) throws {
        var parameters: [String: SafetensorsTensor] = [:]
        for (name, parameter) in network.namedParameters {
            parameters[name] = SafetensorsTensor(floats: try parameter.read(), shape: parameter.shape)
        }
        self.parameters = parameters
        self.optimizer = try optimizer?.state()
        self.metadata = metadata
        self.metadata[CheckpointKey.format.rawValue] = Checkpoint.format
        self.metadata[CheckpointKey.trainingStep.rawValue] = String(network.trainingStep)
    }

    public func write(to path: String) throws {
        var tensors = parameters
        for (name, tensor) in movingAverage { tensors[Self.movingAveragePrefix + name] = tensor }
        for (name, tensor) in trainedWeights { tensors[Self.trainedPrefix + name] = tensor }
        var metadata = self.metadata
        if let optimizer {
            for (name, tensor) in optimizer.tensors { tensors["optimizer.\(name)"] = tensor }
            metadata[CheckpointKey.optimizerSteps.rawValue] = String(optimizer.steps)
        }
        try SafetensorsFile(tensors: tensors, metadata: metadata).write(to: path)
    }

    /// Reads and checks a checkpoint: the format tag, the counters, and that every value is finite.
    public static func read(path: String) throws -> Checkpoint {
        let file = try SafetensorsFile.read(path: path)
        guard file.metadata[CheckpointKey.format.rawValue] == format else {
            throw ZooError("this safetensors file is not a zoo checkpoint (its metadata has no format \"\(format)\")", place: path,
                           hint: "pass a last.safetensors or best.safetensors from a zoo run folder")
        }
        var parameters: [String: SafetensorsTensor] = [:]
        var optimizerTensors: [String: SafetensorsTensor] = [:]
        var movingAverage: [String: SafetensorsTensor] = [:], trainedWeights: [String: SafetensorsTensor] = [:]
        for (name, tensor) in file.tensors.sorted(by: { $0.key < $1.key }) {
            guard tensor.dtype == "F32" else {
                throw ZooError("tensor `\(name)` holds \(tensor.dtype) values; a checkpoint holds only F32", place: path,
                               hint: "the checkpoint was damaged or edited; use another checkpoint of the run, or train again")
            }
            let values = try tensor.floats
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw ZooError("tensor `\(name)` holds \(values[index]) at element \(index); a checkpoint must hold finite numbers only", place: path,
                               hint: "the checkpoint was damaged, or saved from a diverged run; use an earlier checkpoint, or train again")
            }
            if name.hasPrefix("optimizer.") {
                optimizerTensors[String(name.dropFirst("optimizer.".count))] = tensor
            } else if name.hasPrefix(movingAveragePrefix) {
                movingAverage[String(name.dropFirst(movingAveragePrefix.count))] = tensor
            } else if name.hasPrefix(trainedPrefix) {
                trainedWeights[String(name.dropFirst(trainedPrefix.count))] = tensor
            } else {
                parameters[name] = tensor
            }
        }
        let metadata = CheckpointMetadata(file.metadata, path: path)
        let optimizer = try metadata.values[CheckpointKey.optimizerSteps.rawValue].map { _ in
            OptimizerState(steps: try metadata.integer(.optimizerSteps, in: 0...maximumCount), tensors: optimizerTensors)
        }
        _ = try metadata.integer(.trainingStep, in: 0...UInt64(maximumCount))
        var checkpoint = Checkpoint(parameters: parameters, optimizer: optimizer, metadata: file.metadata)
        (checkpoint.movingAverage, checkpoint.trainedWeights) = (movingAverage, trainedWeights)
        return checkpoint
    }

    private init(parameters: [String: SafetensorsTensor], optimizer: OptimizerState?, metadata: [String: String]) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.metadata = metadata
    }

    /// Loads the weights into a network built from the same architecture; any missing, extra or
    /// mis-shaped tensor is an error that names it. `resuming` loads the trained weights, which differ from
    /// the checkpoint's own when those are the moving average.
    public func load(into network: Network, path: String, resuming: Bool = false) throws {
        let parameters = resuming && !trainedWeights.isEmpty ? trainedWeights : self.parameters
        let expected = Set(network.namedParameters.map(\.name))
        if let extra = Set(parameters.keys).subtracting(expected).sorted().first {
            throw ZooError("the checkpoint has a tensor `\(extra)` that the model does not", place: path,
                           hint: "the checkpoint was saved from a different architecture or settings")
        }
        for (name, parameter) in network.namedParameters {
            guard let tensor = parameters[name] else {
                throw ZooError("the checkpoint has no tensor `\(name)`", place: path,
                               hint: "the checkpoint was saved from a different architecture or settings")
            }
            guard tensor.shape == parameter.shape, tensor.dtype == "F32" else {
                throw ZooError("tensor `\(name)` is \(tensor.dtype) \(tensor.shape) in the checkpoint but F32 \(parameter.shape) in the model", place: path,
                               hint: "the checkpoint was saved from a different architecture or settings")
            }
            try parameter.write(try tensor.floats)
        }
        network.trainingStep = try CheckpointMetadata(metadata, path: path).integer(.trainingStep, in: 0...UInt64(Checkpoint.maximumCount))
    }
}
