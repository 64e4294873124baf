/// A per-epoch learning-rate schedule as a config names it: its YAML name, its settings with their
/// defaults and ranges, how it reads them and writes them back, and the rate it gives each epoch.
public protocol ScheduleSettings: Configurable {
    /// The settings it takes besides `name`.
    static var keys: [String] { get }
    /// `epochs` is the run's length, the default horizon of cosine annealing.
    static func read(_ settings: any SettingsReader, epochs: Int) throws -> Self
    /// The settings as the resolved config writes them; empty writes the bare name.
    var written: [(key: String, value: ArgumentValue)] { get }
    /// The learning rate for a 0-based epoch.
    func learningRate(base: Double, epoch: Int) -> Double
    /// The rate after `step` batches of `stepsPerEpoch`, for a schedule stepping every batch: PyTorch's scheduler
    /// stepped per batch with each epoch count (`t_max`, `step_size`, ...) times `stepsPerEpoch`.
    func learningRate(base: Double, step: Int, stepsPerEpoch: Int) -> Double
    /// The momentum (SGD's, or Adam's beta1) the schedule sets at that step; nil leaves the optimizer's own.
    func momentum(step: Int, stepsPerEpoch: Int) -> Double?
    /// True for a schedule defined per batch (onecycle); the others step per batch with `per_step: true`.
    static var alwaysPerStep: Bool { get }
}

extension ScheduleSettings {
    /// Right for the piecewise-constant schedules: floor(step / (n * S)) = floor(floor(step / S) / n).
    public func learningRate(base: Double, step: Int, stepsPerEpoch: Int) -> Double { learningRate(base: base, epoch: step / stepsPerEpoch) }
    public func momentum(step: Int, stepsPerEpoch: Int) -> Double? { nil }
    public static var alwaysPerStep: Bool { false }
}

/// Every schedule by its YAML name. Adding one: a new file with its `ScheduleSettings`, one line here
/// (or, from a library, `ScheduleRegistry.registry.register(MySchedule.self)`).
public enum ScheduleRegistry {
    public static let registry = Registry<any ScheduleSettings.Type>([
        ConstantSchedule.self,
        StepSchedule.self,
        MultiStepSchedule.self,
        CosineSchedule.self,
        WarmupSchedule.self,
        WarmupCosineSchedule.self,
        OneCycleSchedule.self,
    ])

    public static var types: [any ScheduleSettings.Type] { registry.all }

    public static var names: [String] { types.map { $0.name } }

    public static func type(named name: String) -> (any ScheduleSettings.Type)? { types.first { sameName($0.name, name) } }
}

public enum ScheduleKind: ConfigurableKind {
    /// `per_step: true`: the rate changes every batch, not once per epoch.
    public typealias Options = Bool

    public static func common(_ settings: any ScheduleSettings) -> any Configurable { settings }
}

/// A configured schedule, in the closed forms of `torch.optim.lr_scheduler`.
public typealias LearningRateSchedule = Configured<ScheduleKind>

extension LearningRateSchedule {
    public init(_ settings: any ScheduleSettings, perStep: Bool = false) { self.init(settings, options: perStep) }

    public var name: String { typeName }

    /// `per_step: true`: the rate changes every batch, not once per epoch.
    public var perStep: Bool {
        get { options }
        set { options = newValue }
    }

    /// Whether the rate (and momentum) change every batch: `per_step: true`, or onecycle.
    public var stepsEveryBatch: Bool { perStep || type(of: settings).alwaysPerStep }

    /// The learning rate for a 0-based epoch.
    public func learningRate(base: Double, epoch: Int) -> Double { settings.learningRate(base: base, epoch: epoch) }

    /// The rate and momentum after `step` batches of the run (0-based), `stepsPerEpoch` batches an epoch.
    public func position(base: Double, step: Int, stepsPerEpoch: Int) -> (learningRate: Double, momentum: Double?) {
        guard stepsEveryBatch else { return (learningRate(base: base, epoch: step / stepsPerEpoch), nil) }
        return (settings.learningRate(base: base, step: step, stepsPerEpoch: stepsPerEpoch), settings.momentum(step: step, stepsPerEpoch: stepsPerEpoch))
    }
}

extension SettingsReader {
    /// `gamma`, the factor of step and multistep decay.
    func gamma() throws -> Double { try number("gamma", default: 0.1, "greater than 0") { $0 > 0 } }
    /// `start_factor`, where a linear warm-up starts.
    func startFactor() throws -> Double { try number("start_factor", default: 0.1, "in (0, 1]") { $0 > 0 && $0 <= 1 } }
    /// `eta_min`, the floor of cosine annealing.
    func minimumRate() throws -> Double { try number("eta_min", default: 0, "of at least 0") { $0 >= 0 } }
}
