/// An optimizer as a config names it: its YAML name, its settings with their defaults and ranges, how it
/// reads them, how it writes them back into the resolved config, and the optimizer it builds.
public protocol OptimizerSettings: Configurable {
    /// The settings it takes besides `name`.
    static var keys: [String] { get }
    /// `named` is false for an `optimizer:` mapping without `name`, which means SGD with momentum 0.9.
    static func read(_ settings: any SettingsReader, named: Bool) throws -> Self
    var learningRate: Double { get }
    /// The settings as the resolved config writes them, every default spelled out, `lr` first.
    var written: [(key: String, value: ArgumentValue)] { get }
    func make(parameters: [(name: String, parameter: Parameter)]) throws -> Optimizer
}

/// Every optimizer by its YAML name. Adding one: a new file with its `OptimizerSettings`, one line here
/// (or, from a library, `OptimizerRegistry.registry.register(MyOptimizer.Settings.self)`).
public enum OptimizerRegistry {
    public static let registry = Registry<any OptimizerSettings.Type>([
        SGD.Settings.self,
        Adam.Settings.self,
        AdamW.Settings.self,
    ])

    public static var types: [any OptimizerSettings.Type] { registry.all }

    public static var names: [String] { types.map { $0.name } }

    public static func type(named name: String) -> (any OptimizerSettings.Type)? { types.first { sameName($0.name, name) } }

    /// The optimizer `name` with `settings` (torch's names: `lr`, `momentum`, `betas`, ...), as a config gives them.
    public static func make(named name: String, settings: [String: ArgumentValue],
                            parameters: [(name: String, parameter: Parameter)]) throws -> Optimizer {
        guard let type = type(named: name) else { throw unknownName(name, what: "optimizer", known: names) }
        return try type.read(ArgumentReader(settings, owner: "the \(name) optimizer"), named: true).make(parameters: parameters)
    }
}

/// An optimizer's name, e.g. from `--optimizer`.
public struct OptimizerName: RawRepresentable, Hashable, Sendable {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
}

public enum OptimizerKind: ConfigurableKind {
    public static func common(_ settings: any OptimizerSettings) -> any Configurable { settings }
}

/// A configured optimizer: which one, and its settings.
public typealias OptimizerConfig = Configured<OptimizerKind>

extension OptimizerConfig {
    public var name: OptimizerName { OptimizerName(rawValue: typeName) }
    public var learningRate: Double { settings.learningRate }

    /// The optimizer over a network's trainable parameters.
    public func make(parameters: [(name: String, parameter: Parameter)]) throws -> Optimizer { try settings.make(parameters: parameters) }
}
