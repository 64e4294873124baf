import Foundation

/// Adam and AdamW with `torch.optim.Adam`/`AdamW`'s exact rule (single-tensor path):
/// m = lerp(m, g, 1-β1); v = β2 v + (1-β2) g²; p -= lr/(1-β1^t) * m / (sqrt(v)/sqrt(1-β2^t) + eps).
/// Adam adds weight decay to the gradient (L2); AdamW decays the weights directly (p *= 1 - lr*wd).
public final class Adam: Optimizer {
    public var learningRate: Double
    /// A schedule may change it between steps (onecycle's momentum cycling).
    public var beta1: Double
    public let beta2: Double
    public let epsilon: Double
    public let weightDecay: Double
    public let decoupledWeightDecay: Bool
    private let parameters: [(name: String, parameter: Parameter)]
    private let firstMoments: ParameterState
    private let secondMoments: ParameterState
    private var steps = 0

    public init(parameters: [(name: String, parameter: Parameter)], learningRate: Double = 0.001, beta1: Double = 0.9,
                beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0, decoupledWeightDecay: Bool = false) throws {
        self.parameters = parameters.filter { $0.parameter.requiresGradient }
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
        firstMoments = try ParameterState(parameters: self.parameters, buffer: "exp_avg")
        secondMoments = try ParameterState(parameters: self.parameters, buffer: "exp_avg_sq")
    }

    public func step() throws {
        steps += 1
        let stepSize = Float(learningRate / (1 - pow(beta1, Double(steps))))
        let correctionRoot = Float((1 - pow(beta2, Double(steps))).squareRoot())
        let (mix1, beta2, mix2, epsilon) = (Float(1 - beta1), Float(beta2), Float(1 - self.beta2), Float(epsilon))
        let decay = decoupledWeightDecay ? 0 : Float(weightDecay)
        let shrink = decoupledWeightDecay ? Float(1 - learningRate * weightDecay) : 1
        for (index, (_, parameter)) in parameters.enumerated() {
            parameter.update(try firstMoments.memory(index), try secondMoments.memory(index)) { value, gradient, first, second in
                forEachChunk(of: value.count) { _, range in
                    for i in range {
                        value[i] *= shrink
                        let direction = gradient[i] + decay * value[i]
                        first[i] += mix1 * (direction - first[i])
                        second[i] = beta2 * second[i] + mix2 * direction * direction
                        value[i] -= stepSize * first[i] / (second[i].squareRoot() / correctionRoot + epsilon)
                    }
                }
            }
        }
    }

    public func state() throws -> OptimizerState {
        var tensors: [String: SafetensorsTensor] = [:]
        try firstMoments.save(into: &tensors)
        try secondMoments.save(into: &tensors)
        return OptimizerState(steps: steps, tensors: tensors)
    }

    public func restore(_ state: OptimizerState) throws {
        try firstMoments.restore(from: state.tensors)
        try secondMoments.restore(from: state.tensors)
        steps = state.steps
    }
}

extension Adam {
    /// `optimizer: {name: adam, lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0}`.
    public struct Settings: OptimizerSettings {
        public static let name = "adam"
        public static let keys = ["lr", "betas", "eps", "weight_decay"]
        public static let summary = "adam (lr 0.001, betas [0.9, 0.999], eps 1e-8, weight_decay 0)"
        public var learningRate: Double
        public var beta1: Double
        public var beta2: Double
        public var epsilon: Double
        public var weightDecay: Double

        public static func read(_ settings: any SettingsReader, named: Bool) throws -> Settings {
            try read(settings, weightDecay: 0)
        }

        /// Adam's settings with another default weight decay (AdamW's).
        static func read(_ settings: any SettingsReader, weightDecay defaultDecay: Double) throws -> Settings {
            let learningRate = try settings.learningRate(default: 0.001)
            let weightDecay = try settings.weightDecay(default: defaultDecay)
            let epsilon = try settings.number("eps", default: 1e-8, "greater than 0") { $0 > 0 }
            var betas = [0.9, 0.999]
            if let values = try settings.numbers("betas", "in [0, 1)", { $0 >= 0 && $0 < 1 }) {
                guard values.count == 2 else {
                    throw settings.fail("`\(settings.name(of: "betas"))` must be two numbers, such as `[0.9, 0.999]`, not \(values.count)",
                                        at: "betas", hint: nil)
                }
                betas = values
            }
            return Settings(learningRate: learningRate, beta1: betas[0], beta2: betas[1], epsilon: epsilon, weightDecay: weightDecay)
        }

        public var written: [(key: String, value: ArgumentValue)] {
            [("lr", .double(learningRate)), ("betas", .list([.double(beta1), .double(beta2)])), ("eps", .double(epsilon)),
             ("weight_decay", .double(weightDecay))]
        }

        public func make(parameters: [(name: String, parameter: Parameter)]) throws -> Optimizer {
            try make(parameters: parameters, decoupledWeightDecay: false)
        }

        func make(parameters: [(name: String, parameter: Parameter)], decoupledWeightDecay: Bool) throws -> Optimizer {
            try Adam(parameters: parameters, learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                     weightDecay: weightDecay, decoupledWeightDecay: decoupledWeightDecay)
        }
    }
}

extension OptimizerName {
    public static let adam = OptimizerName(rawValue: Adam.Settings.name)
}
