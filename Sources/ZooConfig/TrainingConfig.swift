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
    /// Where each model parameter was written (`configs/x.yaml:3:20`, `--set model.width=4`), for messages.
    public var modelParameterPlaces = Places()
    public var dataset: DatasetSource
    public var dataDirectory: String?
    /// Normalise with the dataset's usual mean and std; false keeps raw [0, 1] pixels.
    public var normalize: Bool
    /// Applied to training images, in order (random ones are skipped for the test set).
    public var transforms: [Transform]
    /// MixUp / CutMix of training batches (`dataset.mixup`, `dataset.cutmix`, `dataset.switch_prob`).
    public var batchMixing: BatchMixing?
    public var optimizer: OptimizerConfig
    public var schedule: LearningRateSchedule
    public var epochs: Int
    public var batchSize: Int
    public var seed: UInt64
    /// Nil means: `nll` when the model ends in `log_softmax`, else `cross_entropy`.
    public var loss: Loss?
    /// PyTorch's `label_smoothing` of the cross-entropy training loss (`loss: {name: cross_entropy, label_smoothing: 0.1}`).
    public var labelSmoothing = 0.0
    /// Log a plain line every this many steps when the output is not a terminal.
    public var logEvery: Int
    /// Train on this many training images, the same number from each class, chosen by the seed (`dataset: {train_limit: N}`).
    public var trainLimit: Int? = nil
    /// A checkpoint or `MODEL@DATASET` whose tensors of matching name and shape start the run (fine-tuning).
    public var initFrom: String? = nil
    /// Layers whose parameters stay fixed (`Network.freeze`).
    public var freeze: [String] = []
    /// Views averaged at test time (`tta: [hflip, translate]`); nil scores each image as it is.
    public var testTimeAugmentation: TestTimeAugmentation?
    /// What training computes in (see docs/precision.md); checkpoints are float32 whatever it is.
    public var precision: PrecisionSetting = .fp32
    /// The share of training images held out, class-balanced and chosen by the seed, and evaluated each epoch.
    public var validationSplit: Double?
    /// Evaluate (test set, validation split, moving average) after every this many epochs and after the last one,
    /// as Keras' `validation_freq`; the epochs between train only.
    public var evaluateEvery = 1
    /// Ends the run when a validation metric stops improving, with the best epoch's weights (needs `validationSplit`).
    public var earlyStopping: EarlyStopping?
    /// A moving average of the weights, evaluated beside them and saved when it scores better.
    public var exponentialMovingAverage: ExponentialMovingAverage.Settings?
    /// Each batch split across this many single-threaded replicas of the network (`--replicas`); nil lets the
    /// trainer choose. Batch norm then normalises each replica's share on its own statistics (DDP without SyncBatchNorm).
    public var replicas: Int?
}

/// Where values were written, for messages only: two configs that differ only in where they were written
/// are the same run.
public struct Places: Equatable {
    public var byKey: [String: String] = [:]

    public init() {}

    public static func == (left: Places, right: Places) -> Bool { true }
}
