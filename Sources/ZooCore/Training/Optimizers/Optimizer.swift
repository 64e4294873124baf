/// An optimizer updates trainable parameters from their gradients, in whatever layout the parameters live:
/// the update rules are element-wise, and blocked padding stays zero because its gradient is zero.
public protocol Optimizer: AnyObject {
    var learningRate: Double { get set }
    func step() throws
    /// Per-parameter state (momentum, Adam moments) in canonical layout, for checkpoints.
    func state() throws -> OptimizerState
    func restore(_ state: OptimizerState) throws
}

/// What a checkpoint keeps of an optimizer: its step count and named canonical tensors, each in its parameter's shape.
public struct OptimizerState: Equatable {
    public var steps: Int
    /// Keyed "<parameter name>.<buffer>", e.g. "0.weight.exp_avg".
    public var tensors: [String: SafetensorsTensor]

    public init(steps: Int, tensors: [String: SafetensorsTensor]) {
        self.steps = steps
        self.tensors = tensors
    }
}

/// One state buffer per parameter (optimizer state, a moving average), kept in the parameter's own layout. A parameter's layout is
/// fixed by the first plan, which may come after the optimizer (or a restore): the buffer then follows it.
final class ParameterState {
    private let name: String
    /// A buffer's tensor name in a checkpoint: "<parameter name>.<buffer>" for optimizer state.
    private let key: (_ parameter: String, _ buffer: String) -> String
    /// Names the state in messages.
    private let what: String
    private let parameters: [(name: String, parameter: Parameter)]
    private var memories: [Memory]

    init(parameters: [(name: String, parameter: Parameter)], buffer: String,
         key: @escaping (_ parameter: String, _ buffer: String) -> String = { "\($0).\($1)" }, what: String = "optimizer state") throws {
        name = buffer
        (self.key, self.what) = (key, what)
        self.parameters = parameters
        memories = try parameters.map { try Memory($0.parameter.value.descriptor, device: $0.parameter.device) }
    }

    /// The buffer of parameter `index`, moved into the parameter's current layout if that changed.
    func memory(_ index: Int) throws -> Memory {
        let parameter = parameters[index].parameter
        if memories[index].descriptor != parameter.value.descriptor {
            let moved = try Memory(parameter.value.descriptor, device: parameter.device)
            try reorder(from: memories[index], to: moved, device: parameter.device)
            memories[index] = moved
        }
        return memories[index]
    }

    func save(into tensors: inout [String: SafetensorsTensor]) throws {
        for (index, (parameterName, parameter)) in parameters.enumerated() {
            tensors[key(parameterName, name)] = SafetensorsTensor(floats: try parameter.readCanonical(try memory(index)), shape: parameter.shape)
        }
    }

    /// Every buffer must be there in its parameter's shape: the right element count in another shape
    /// (a transposed weight) would load as scrambled state.
    func restore(from tensors: [String: SafetensorsTensor]) throws {
        for (index, (parameterName, parameter)) in parameters.enumerated() {
            let key = key(parameterName, name)
            guard let tensor = tensors[key] else {
                throw ZooError("the \(what) has no `\(key)`",
                               hint: "the checkpoint was saved with another optimizer or model")
            }
            guard tensor.shape == parameter.shape else {
                throw ZooError("the \(what) `\(key)` has shape \(tensor.shape), but the parameter `\(parameterName)` has shape \(parameter.shape)",
                               hint: "the checkpoint was saved with another model, or by a zoo that stored optimizer state flat; train again")
            }
            try parameter.writeCanonical(try tensor.floats, into: try memory(index))
        }
    }
}

extension Parameter {
    /// Runs an element-wise update over value and gradient (and optimizer state), all in this parameter's layout.
    func update(_ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) {
        guard let gradient else { return }
        value.withFloats { value in gradient.withFloats { gradient in body(value, gradient) } }
    }

    func update(_ state: Memory, _ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>,
                                          UnsafeMutableBufferPointer<Float>) -> Void) {
        update { value, gradient in state.withFloats { state in body(value, gradient, state) } }
    }

    func update(_ first: Memory, _ second: Memory,
                _ body: (UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>,
                         UnsafeMutableBufferPointer<Float>, UnsafeMutableBufferPointer<Float>) -> Void) {
        update(first) { value, gradient, first in second.withFloats { second in body(value, gradient, first, second) } }
    }
}
