import Foundation

/// A training checkpoint as one safetensors file: every parameter and buffer under its PyTorch `state_dict`
/// name, the optimizer state under `optimizer.<name>.<buffer>`, and string metadata (architecture YAML,
/// dataset, normalisation, epoch, resolved config) so the file alone is enough to evaluate or resume.
public struct Checkpoint {
    public static let format = "zoo-checkpoint-1"
    public var parameters: [String: SafetensorsTensor]
    public var optimizer: OptimizerState?
    public var metadata: [String: String]

    public init(network: Network, optimizer: Optimizer?, metadata: [String: String]) throws {
        var parameters: [String: SafetensorsTensor] = [:]
        for (name, parameter) in network.namedParameters {
            parameters[name] = SafetensorsTensor(floats: try parameter.read(), shape: parameter.shape)
        }
        self.parameters = parameters
        self.optimizer = try optimizer?.state()
        self.metadata = metadata
        self.metadata["format"] = Checkpoint.format
        self.metadata["training_step"] = String(network.trainingStep)
    }

    public func write(to path: String) throws {
        var tensors = parameters
        var metadata = self.metadata
        if let optimizer {
            for (name, values) in optimizer.tensors {
                tensors["optimizer.\(name)"] = SafetensorsTensor(floats: values, shape: [values.count])
            }
            metadata["optimizer_steps"] = String(optimizer.steps)
        }
        try SafetensorsFile(tensors: tensors, metadata: metadata).write(to: path)
    }

    public static func read(path: String) throws -> Checkpoint {
        let file = try SafetensorsFile.read(path: path)
        guard file.metadata["format"] == format else {
            throw ZooError("this safetensors file is not a zoo checkpoint (its metadata has no format \"\(format)\")", place: path,
                           hint: "pass a last.safetensors or best.safetensors from a zoo run folder")
        }
        var parameters: [String: SafetensorsTensor] = [:]
        var optimizerTensors: [String: [Float]] = [:]
        for (name, tensor) in file.tensors {
            if name.hasPrefix("optimizer.") {
                optimizerTensors[String(name.dropFirst("optimizer.".count))] = try tensor.floats
            } else {
                parameters[name] = tensor
            }
        }
        let optimizer = file.metadata["optimizer_steps"].flatMap(Int.init).map { OptimizerState(steps: $0, tensors: optimizerTensors) }
        return Checkpoint(parameters: parameters, optimizer: optimizer, metadata: file.metadata)
    }

    private init(parameters: [String: SafetensorsTensor], optimizer: OptimizerState?, metadata: [String: String]) {
        self.parameters = parameters
        self.optimizer = optimizer
        self.metadata = metadata
    }

    /// Loads the weights into a network built from the same architecture; any missing, extra or
    /// mis-shaped tensor is an error that names it.
    public func load(into network: Network, path: String) throws {
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
        network.trainingStep = metadata["training_step"].flatMap(UInt64.init) ?? 0
    }
}
