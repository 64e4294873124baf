/// A per-epoch learning-rate schedule as a config names it: its YAML name, its settings with their
/// defaults and ranges, how it reads them and writes them back, and the rate it gives each epoch.
public protocol ScheduleSettings: Sendable, Equatable {
    static var name: String { get }
    /// The settings it takes besides `name`.
    static var keys: [String] { get }
    /// One line for `--help`: each setting with its default.
    static var summary: String { get }
    /// `epochs` is the run's length, the default horizon of cosine annealing.
    static func read(_ settings: any SettingsReader, epochs: Int) throws -> Self
    /// The settings as the resolved config writes them; empty writes the bare name.
    var written: [(key: String, value: ArgumentValue)] { get }
    /// The learning rate for a 0-based epoch.
    func learningRate(base: Double, epoch: Int) -> Double
}

/// Every schedule by its YAML name. Adding one: a new file with its `ScheduleSettings`, one line here.
public enum ScheduleRegistry {
    public static var types: [any ScheduleSettings.Type] = [
        ConstantSchedule.self,
        StepSchedule.self,
        MultiStepSchedule.self,
        CosineSchedule.self,
        WarmupSchedule.self,
        WarmupCosineSchedule.self,
    ]

    public static var names: [String] { types.map { $0.name } }

    public static func type(named name: String) -> (any ScheduleSettings.Type)? { types.first { sameName($0.name, name) } }
}

/// A configured schedule, in the closed forms of `torch.optim.lr_scheduler`.
public struct LearningRateSchedule: Equatable, @unchecked Sendable {
    public let settings: any ScheduleSettings

    public init(_ settings: any ScheduleSettings) { self.settings = settings }

    public var name: String { type(of: settings).name }

    /// The learning rate for a 0-based epoch.
    public func learningRate(base: Double, epoch: Int) -> Double { settings.learningRate(base: base, epoch: epoch) }

    public static func == (left: LearningRateSchedule, right: LearningRateSchedule) -> Bool { left.settings.isEqual(to: right.settings) }
}

extension SettingsReader {
    /// `gamma`, the factor of step and multistep decay.
    func gamma() throws -> Double { try number("gamma", default: 0.1, "greater than 0") { $0 > 0 } }
    /// `start_factor`, where a linear warm-up starts.
    func startFactor() throws -> Double { try number("start_factor", default: 0.1, "in (0, 1]") { $0 > 0 && $0 <= 1 } }
    /// `eta_min`, the floor of cosine annealing.
    func minimumRate() throws -> Double { try number("eta_min", default: 0, "of at least 0") { $0 >= 0 } }
}
