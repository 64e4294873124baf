import Foundation

/// Adam and AdamW with `torch.optim.Adam`/`AdamW`'s exact rule (single-tensor path):
/// m = lerp(m, g, 1-β1); v = β2 v + (1-β2) g²; p -= lr/(1-β1^t) * m / (sqrt(v)/sqrt(1-β2^t) + eps).
/// Adam adds weight decay to the gradient (L2); AdamW decays the weights directly (p *= 1 - lr*wd).
public final class Adam: Optimizer {
    public var learningRate: Double
    public let beta1: Double
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
        self.parameters = parameters.filter { $0.parameter.isTrainable }
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
        var tensors: [String: [Float]] = [:]
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
