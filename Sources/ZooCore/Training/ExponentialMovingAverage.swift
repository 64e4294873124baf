import Foundation

/// An exponential moving average of every parameter and buffer (batch norm's running statistics), updated
/// after each optimizer step, as `torch.optim.swa_utils.AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay),
/// use_buffers=True)`: the first update copies the model, each later one is `torch.lerp(average, value, 1 - decay)`.
/// With `warmup`, update n uses timm's `ModelEmaV3` decay `min(decay, 1 - (1 + (n - 1) / gamma)^-power)`
/// (gamma 1, power 2/3, timm's defaults), which is 0 for the first update, so it copies too.
/// The averages live in each parameter's own layout, so an update is element-wise and allocates nothing.
public final class ExponentialMovingAverage {
    /// `ema: {decay: 0.999, warmup: true}`.
    public struct Settings: Equatable, Sendable {
        public var decay: Double
        public var warmup: Bool

        public init(decay: Double, warmup: Bool) {
            self.decay = decay
            self.warmup = warmup
        }
    }

    public static let warmupGamma = 1.0
    public static let warmupPower = 2.0 / 3.0

    public let settings: Settings
    private let parameters: [(name: String, parameter: Parameter)]
    private let averages: ParameterState
    /// Updates so far (AveragedModel's `n_averaged`).
    public private(set) var updates = 0

    public init(settings: Settings, network: Network) throws {
        self.settings = settings
        parameters = network.namedParameters
        averages = try ParameterState(parameters: parameters, buffer: "ema", key: { parameter, _ in parameter }, what: "moving average")
    }

    /// The decay of update `number` (1 for the first).
    public func decay(update number: Int) -> Double {
        let step = number - 1
        guard step > 0 else { return 0 }
        guard settings.warmup else { return settings.decay }
        return min(settings.decay, 1 - pow(1 + Double(step) / Self.warmupGamma, -Self.warmupPower))
    }

    /// After an optimizer step.
    public func update() throws {
        updates += 1
        // torch's lerp: start + weight * (end - start) below a weight of 0.5, else end - (end - start) * (1 - weight).
        let weight = Float(1 - decay(update: updates))
        for (index, (_, parameter)) in parameters.enumerated() {
            let average = try averages.memory(index)
            parameter.value.withFloats { value in
                average.withFloats { average in
                    forEachChunk(of: value.count) { _, range in
                        if weight < 0.5 {
                            for i in range { average[i] += weight * (value[i] - average[i]) }
                        } else {
                            for i in range { average[i] = value[i] - (value[i] - average[i]) * (1 - weight) }
                        }
                    }
                }
            }
        }
    }

    /// Runs `body` with the averages in place of the network's values, then puts the trained values back.
    /// Before the first update the average is the model itself (AveragedModel starts as a copy).
    public func withAverages<Result>(_ body: () throws -> Result) throws -> Result {
        guard updates > 0 else { return try body() }
        let trained = try ParameterState(parameters: parameters, buffer: "trained")
        for (index, (_, parameter)) in parameters.enumerated() {
            try reorder(from: parameter.value, to: try trained.memory(index), device: parameter.device)
            try reorder(from: try averages.memory(index), to: parameter.value, device: parameter.device)
        }
        func putBack() throws {
            for (index, (_, parameter)) in parameters.enumerated() {
                try reorder(from: try trained.memory(index), to: parameter.value, device: parameter.device)
            }
        }
        let result: Result
        do {
            result = try body()
        } catch {
            try putBack()
            throw error
        }
        try putBack()
        return result
    }

    /// The averages in canonical layout, keyed by parameter name, for checkpoints.
    /// Before the first update, the model's own values (AveragedModel starts as a copy).
    public func tensors() throws -> [String: SafetensorsTensor] {
        var tensors: [String: SafetensorsTensor] = [:]
        guard updates > 0 else {
            for (name, parameter) in parameters { tensors[name] = SafetensorsTensor(floats: try parameter.read(), shape: parameter.shape) }
            return tensors
        }
        try averages.save(into: &tensors)
        return tensors
    }

    /// Every parameter's average must be there, in its shape.
    public func restore(_ tensors: [String: SafetensorsTensor], updates: Int) throws {
        try averages.restore(from: tensors)
        self.updates = updates
    }
}
