import ZooCore
import ZooData

/// A training run, resolved: every default filled in, every override applied.
public struct TrainingConfig: Equatable {
    /// Names the run folder (`runs/NAME-TIMESTAMP/`); defaults to the config file's stem, else the model.
    public var name: String
    /// A zoo architecture name or a path to an architecture file.
    public var model: String
    /// Values for the architecture's `params` (e.g. `n_hidden`), as `model: {name: fc2layer, n_hidden: 16}`
    /// or `--set model.n_hidden=16` gives them, typed as YAML read them.
    public var modelParameters: [String: ArgumentValue]
    public var dataset: DatasetName
    public var dataDirectory: String?
    /// Normalise with the dataset's usual mean and std; false keeps raw [0, 1] pixels.
    public var normalize: Bool
    /// Applied to training images, in order (random ones are skipped for the test set).
    public var transforms: [Transform]
    public var optimizer: OptimizerConfig
    public var schedule: LearningRateSchedule
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    /// Nil means: `nll` when the model ends in `log_softmax`, else `cross_entropy`.
    public var loss: Loss?
    /// Log a plain line every this many steps when the output is not a terminal.
    public var logEvery: Int
    /// What training computes in (see docs/precision.md); checkpoints are float32 whatever it is.
    public var precision: PrecisionSetting = .fp32
}
