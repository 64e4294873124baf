/// Stochastic gradient descent with `torch.optim.SGD`'s exact rule:
/// g += wd*p; b = g on the first step, else b = momentum*b + (1-dampening)*g; g = nesterov ? g + momentum*b : b; p -= lr*g.
public final class SGD: Optimizer {
    public var learningRate: Double
    public let momentum: Double
    public let dampening: Double
    public let nesterov: Bool
    public let weightDecay: Double
    private let parameters: [(name: String, parameter: Parameter)]
    private let momentumBuffers: ParameterState
    private var steps = 0

    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0) throws {
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw ZooError("nesterov momentum needs momentum > 0 and dampening 0, as in torch.optim.SGD")
        }
        self.parameters = parameters.filter { $0.parameter.isTrainable }
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
        momentumBuffers = try ParameterState(parameters: momentum > 0 ? self.parameters : [], buffer: "momentum_buffer")
    }

    public func step() throws {
        let (rate, momentum, keep, decay, nesterov, first) = (Float(learningRate), Float(momentum), Float(1 - dampening),
                                                              Float(weightDecay), self.nesterov, steps == 0)
        for (index, (_, parameter)) in parameters.enumerated() {
            guard momentum > 0 else {
                parameter.update { value, gradient in
                    forEachChunk(of: value.count) { _, range in
                        for i in range { value[i] -= rate * (gradient[i] + decay * value[i]) }
                    }
                }
                continue
            }
            parameter.update(try momentumBuffers.memory(index)) { value, gradient, buffer in
                forEachChunk(of: value.count) { _, range in
                    for i in range {
                        let direction = gradient[i] + decay * value[i]
                        buffer[i] = first ? direction : momentum * buffer[i] + keep * direction
                        value[i] -= rate * (nesterov ? direction + momentum * buffer[i] : buffer[i])
                    }
                }
            }
        }
        steps += 1
    }

    public func state() throws -> OptimizerState {
        var tensors: [String: [Float]] = [:]
        try momentumBuffers.save(into: &tensors)
        return OptimizerState(steps: steps, tensors: tensors)
    }

    public func restore(_ state: OptimizerState) throws {
        try momentumBuffers.restore(from: state.tensors)
        steps = state.steps
    }
}
