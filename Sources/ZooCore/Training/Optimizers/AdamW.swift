/// AdamW: Adam's update with decoupled weight decay (`torch.optim.AdamW`), default weight decay 0.01.
public enum AdamW {
    /// `optimizer: {name: adamw, lr: 0.001, betas: [0.9, 0.999], eps: 1e-8, weight_decay: 0.01}`.
    public struct Settings: OptimizerSettings {
        public static let name = "adamw"
        public static let keys = Adam.Settings.keys
        public static let summary = "adamw (as adam, but weight_decay 0.01 and decoupled from the gradient)"
        public var adam: Adam.Settings

        public static func read(_ settings: any SettingsReader, named: Bool) throws -> Settings {
            Settings(adam: try Adam.Settings.read(settings, weightDecay: 0.01))
        }

        public var learningRate: Double { adam.learningRate }
        public var written: [(key: String, value: ArgumentValue)] { adam.written }

        public func make(parameters: [(name: String, parameter: Parameter)]) throws -> Optimizer {
            try adam.make(parameters: parameters, decoupledWeightDecay: true)
        }
    }
}

extension OptimizerName {
    public static let adamw = OptimizerName(rawValue: AdamW.Settings.name)
}
