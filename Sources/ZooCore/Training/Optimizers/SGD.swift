/// Stochastic gradient descent with `torch.optim.SGD`'s exact rule:
/// g += wd*p; b = g on the first step, else b = momentum*b + (1-dampening)*g; g = nesterov ? g + momentum*b : b; p -= lr*g.
public final class SGD: Optimizer {
    public var learningRate: Double
    /// A schedule may change it between steps (onecycle's momentum cycling).
    public var momentum: Double
    public let dampening: Double
    public let nesterov: Bool
    public let weightDecay: Double
    private let parameters: [(name: String, parameter: Parameter)]
    /// Made at the first step with momentum, as torch makes its buffers.
    private var momentumBuffers: ParameterState?
    private var steps = 0

    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Double, momentum: Double = 0, dampening: Double = 0,
                nesterov: Bool = false, weightDecay: Double = 0) throws {
        guard !nesterov || (momentum > 0 && dampening == 0) else {
            throw ZooError("nesterov momentum needs momentum > 0 and dampening 0, as in torch.optim.SGD")
        }
        self.parameters = parameters.filter { $0.parameter.requiresGradient }
        self.learningRate = learningRate
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    private func makeMomentumBuffers() throws -> ParameterState { try ParameterState(parameters: parameters, buffer: "momentum_buffer") }

    public func step() throws {
        let first = momentum > 0 && momentumBuffers == nil
        if first { momentumBuffers = try makeMomentumBuffers() }
        let (rate, momentum, keep, decay, nesterov) = (Float(learningRate), Float(momentum), Float(1 - dampening), Float(weightDecay), self.nesterov)
        for (index, (_, parameter)) in parameters.enumerated() {
            guard momentum > 0, let momentumBuffers else {
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
        var tensors: [String: SafetensorsTensor] = [:]
        try momentumBuffers?.save(into: &tensors)
        return OptimizerState(steps: steps, tensors: tensors)
    }

    public func restore(_ state: OptimizerState) throws {
        let saved = state.tensors.keys.contains { $0.hasSuffix(".momentum_buffer") }
        momentumBuffers = nil
        if saved || (momentum > 0 && state.steps > 0) {
            let buffers = try makeMomentumBuffers()
            try buffers.restore(from: state.tensors)
            momentumBuffers = buffers
        }
        steps = state.steps
    }
}

extension SGD {
    /// `optimizer: {name: sgd, lr: 0.01, momentum: 0, dampening: 0, nesterov: false, weight_decay: 0}`; an
    /// `optimizer:` mapping without a name is SGD with momentum 0.9.
    public struct Settings: OptimizerSettings {
        public static let name = "sgd"
        public static let keys = ["lr", "momentum", "dampening", "nesterov", "weight_decay"]
        public static let summary = "sgd (lr 0.01, momentum 0 or 0.9 without a name, dampening 0, nesterov false, weight_decay 0)"
        public var learningRate: Double
        public var momentum: Double
        public var dampening: Double
        public var nesterov: Bool
        public var weightDecay: Double

        public static func read(_ settings: any SettingsReader, named: Bool) throws -> Settings {
            let learningRate = try settings.learningRate(default: 0.01)
            let momentum = try settings.number("momentum", default: named ? 0 : 0.9, "in [0, 1)") { $0 >= 0 && $0 < 1 }
            let dampening = try settings.number("dampening", default: 0, "in [0, 1]") { $0 >= 0 && $0 <= 1 }
            let weightDecay = try settings.weightDecay(default: 0)
            let nesterov = try settings.flag("nesterov", default: false)
            if nesterov && (momentum == 0 || dampening != 0) {
                throw settings.fail("nesterov momentum needs `momentum` greater than 0 and `dampening` 0, as in torch.optim.SGD",
                                    at: "nesterov", hint: "add `momentum: 0.9`, or remove `nesterov`")
            }
            return Settings(learningRate: learningRate, momentum: momentum, dampening: dampening, nesterov: nesterov, weightDecay: weightDecay)
        }

        public var written: [(key: String, value: ArgumentValue)] {
            [("lr", .double(learningRate)), ("momentum", .double(momentum)), ("dampening", .double(dampening)),
             ("nesterov", .bool(nesterov)), ("weight_decay", .double(weightDecay))]
        }

        public func make(parameters: [(name: String, parameter: Parameter)]) throws -> Optimizer {
            try SGD(parameters: parameters, learningRate: learningRate, momentum: momentum, dampening: dampening, nesterov: nesterov,
                    weightDecay: weightDecay)
        }
    }
}

extension OptimizerName {
    public static let sgd = OptimizerName(rawValue: SGD.Settings.name)
}

extension SettingsReader {
    /// `lr`, which every optimizer takes.
    func learningRate(default value: Double) throws -> Double { try number("lr", default: value, "greater than 0") { $0 > 0 } }

    /// `weight_decay`, which every optimizer takes.
    func weightDecay(default value: Double) throws -> Double { try number("weight_decay", default: value, "of at least 0") { $0 >= 0 } }
}
