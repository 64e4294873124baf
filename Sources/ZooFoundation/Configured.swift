/// What an optimizer's, schedule's or transform's settings have in common: the name the config gives
/// them, a line for `--help`, and equality.
public protocol Configurable: Sendable, Equatable {
    static var name: String { get }
    /// One line for `--help`: each setting with its default.
    static var summary: String { get }
}

extension Configurable {
    /// Equality across the kind's types: settings of different types differ.
    func isSame(as other: any Configurable) -> Bool { (other as? Self) == self }
}

/// One kind of settings (optimizers, schedules, transforms): the existential its types are held as.
public protocol ConfigurableKind {
    associatedtype Settings: Sendable
    /// What the config gives besides the settings themselves (a schedule's `per_step`).
    associatedtype Options: Sendable, Equatable = NoOptions
    /// `settings` as the common protocol, for name and equality.
    static func common(_ settings: Settings) -> any Configurable
}

public struct NoOptions: Sendable, Equatable {
    public init() {}
}

/// Settings of one kind as a config chose them: which type, and its values.
public struct Configured<Kind: ConfigurableKind>: Sendable, Equatable {
    public let settings: Kind.Settings
    public var options: Kind.Options

    public init(_ settings: Kind.Settings, options: Kind.Options) {
        self.settings = settings
        self.options = options
    }

    /// The name the config gives the chosen type, e.g. `adam`.
    public var typeName: String { type(of: Kind.common(settings)).name }

    public static func == (left: Configured, right: Configured) -> Bool {
        Kind.common(left.settings).isSame(as: Kind.common(right.settings)) && left.options == right.options
    }
}

extension Configured where Kind.Options == NoOptions {
    public init(_ settings: Kind.Settings) { self.init(settings, options: NoOptions()) }
}
