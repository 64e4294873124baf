/// Typed, validated access to a layer entry's arguments. Every mistake is a `ZooError` at the argument's line.
public struct LayerArguments {
    public let layerType: String
    private let arguments: [String: LayerArgument]
    private let location: SourceLocation?

    public init(_ description: LayerDescription) {
        layerType = description.type
        arguments = description.arguments
        location = description.location
    }

    private func error(_ key: String, _ message: String) -> ZooError {
        ZooError("\(layerType): `\(key)` \(message)", at: arguments[key]?.location ?? location)
    }

    private func required<Value>(_ key: String, _ defaultValue: Value?, what: String) throws -> Value? {
        if arguments[key] != nil { return nil }
        guard let defaultValue else {
            throw ZooError("\(layerType) needs `\(key)` (\(what))", at: location,
                           hint: "write it as `- \(layerType): {\(key): ...}`")
        }
        return defaultValue
    }

    public func contains(_ key: String) -> Bool { arguments[key] != nil }

    /// A setting given as a word (`padding: same`), lowercased; nil when absent or not a word.
    public func word(_ key: String) -> String? {
        guard case .string(let text)? = arguments[key]?.value else { return nil }
        return text.lowercased()
    }

    /// Where a setting was written, or the entry's line when it was not.
    public func location(of key: String) -> SourceLocation? { arguments[key]?.location ?? location }

    /// Larger sizes are typos or attacks, and sums such as `height + 2 * padding` stay far from overflow.
    public static let maximumInteger = 1 << 24

    /// A whole number of at least `minimum` and at most `maximumInteger`.
    public func int(_ key: String, default defaultValue: Int? = nil, minimum: Int = 1) throws -> Int {
        if let value = try required(key, defaultValue, what: "a whole number") { return value }
        guard case .int(let value)? = arguments[key]?.value else {
            throw error(key, "must be a whole number, not \(arguments[key]!.value)")
        }
        guard value >= minimum else { throw error(key, "must be at least \(minimum), not \(value)") }
        guard value <= Self.maximumInteger else { throw error(key, "must be at most \(Self.maximumInteger), not \(value)") }
        return value
    }

    /// A size given once for both directions (`3`) or as `[height, width]`.
    public func pair(_ key: String, default defaultValue: Int? = nil, minimum: Int = 1) throws -> (Int, Int) {
        if let value = try required(key, defaultValue, what: "a whole number or [height, width]") { return (value, value) }
        switch arguments[key]!.value {
        case .int:
            let value = try int(key, minimum: minimum)
            return (value, value)
        case .list(let values):
            guard values.count == 2, case .int(let height) = values[0], case .int(let width) = values[1] else {
                throw error(key, "must be a whole number or a list [height, width] of two whole numbers, not \(arguments[key]!.value)")
            }
            guard height >= minimum, width >= minimum else {
                throw error(key, "must be at least \(minimum) in both directions, not [\(height), \(width)]")
            }
            guard height <= Self.maximumInteger, width <= Self.maximumInteger else {
                throw error(key, "must be at most \(Self.maximumInteger) in both directions, not [\(height), \(width)]")
            }
            return (height, width)
        default:
            throw error(key, "must be a whole number or [height, width], not \(arguments[key]!.value)")
        }
    }

    /// A real number in `range`; whole numbers are accepted.
    public func double(_ key: String, default defaultValue: Double, in range: ClosedRange<Double>) throws -> Double {
        if try required(key, defaultValue, what: "a number") != nil { return defaultValue }
        let value: Double
        switch arguments[key]!.value {
        case .double(let number): value = number
        case .int(let number): value = Double(number)
        default: throw error(key, "must be a number, not \(arguments[key]!.value)")
        }
        guard range.contains(value) else { throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(value)") }
        return value
    }

    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        if try required(key, defaultValue, what: "true or false") != nil { return defaultValue }
        guard case .bool(let value)? = arguments[key]?.value else {
            throw error(key, "must be true or false, not \(arguments[key]!.value)")
        }
        return value
    }

    /// Unknown keys are errors, with the nearest valid key as a hint.
    public func rejectUnknown(allowed: [String]) throws {
        for key in arguments.keys.sorted() where !allowed.contains(key) {
            throw Self.unknownSetting(key, of: layerType, allowed: allowed, at: arguments[key]?.location ?? location)
        }
    }

    /// "conv2d has no setting `kernel_size`", with PyTorch's name translated or the nearest valid key as a hint.
    public static func unknownSetting(_ key: String, of layerType: String, allowed: [String], at location: SourceLocation?) -> ZooError {
        let valid = allowed.isEmpty ? "it takes no settings" : "it takes " + allowed.map { "`\($0)`" }.joined(separator: ", ")
        return ZooError("\(layerType) has no setting `\(key)`; \(valid)", at: location,
                        hint: PyTorchNames.settingHint(key) ?? nearest(to: key, in: allowed).map { "did you mean `\($0)`?" })
    }
}
