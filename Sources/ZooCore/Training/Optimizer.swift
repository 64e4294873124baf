/// An optimizer updates trainable parameters from their gradients, in whatever layout the parameters live:
/// the update rules are element-wise, and blocked padding stays zero because its gradient is zero.
public protocol Optimizer: AnyObject {
    var learningRate: Double { get set }
    func step() throws
    /// Per-parameter state (momentum, Adam moments) in canonical layout, for checkpoints.
    func state() throws -> OptimizerState
    func restore(_ state: OptimizerState) throws
}

/// What a checkpoint keeps of an optimizer: its step count and named canonical tensors.
public struct OptimizerState: Equatable {
    public var steps: Int
    /// Keyed "<parameter name>.<buffer>", e.g. "0.weight.exp_avg".
    public var tensors: [String: [Float]]

    public init(steps: Int, tensors: [String: [Float]]) {
        self.steps = steps
        self.tensors = tensors
    }
}

/// One state buffer per trainable parameter, in the parameter's own layout.
final class ParameterState {
    let buffers: [(name: String, parameter: Parameter, memory: Memory)]

    init(parameters: [(name: String, parameter: Parameter)], buffer: String) throws {
        buffers = try parameters.map { ("\($0.name).\(buffer)", $0.parameter, try Memory($0.parameter.value.descriptor, device: $0.parameter.device)) }
    }

    func save(into tensors: inout [String: [Float]]) throws {
        for (name, parameter, memory) in buffers { tensors[name] = try parameter.readCanonical(memory) }
    }

    func restore(from tensors: [String: [Float]]) throws {
        for (name, parameter, memory) in buffers {
            guard let values = tensors[name] else {
                throw ZooError("the optimizer state has no `\(name)`", hint: "the checkpoint was saved with another optimizer or model")
            }
            try parameter.writeCanonical(values, into: memory)
        }
    }
}

extension Parameter {
    /// Runs `update(value, gradient, state...)` over the raw buffers; all share this parameter's layout.
    func update(_ states: [Memory], _ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>,
                                           [UnsafeMutableBufferPointer<Float>]) -> Void) {
        guard let gradient else { return }
        value.withFloats { value in
            gradient.withFloats { gradient in
                body(value, gradient, states.map { state in state.withFloats { $0 } })
            }
        }
    }
}
