/// A layer entry's arguments: the settings reader every kind of settings uses, located at the entry's lines.
public typealias LayerArguments = ArgumentReader

extension ArgumentReader {
    public init(_ description: LayerDescription) {
        self.init(description.arguments.mapValues(\.value), owner: description.type,
                  locations: description.arguments.compactMapValues(\.location), at: description.location,
                  missingHint: { "write it as `- \(description.type): {\($0): ...}`" })
    }

    /// The entry's layer type, which names it in messages.
    public var layerType: String { owner }

    /// A setting given as a word (`padding: same`), lowercased; nil when absent or not a word.
    public func word(_ key: String) -> String? {
        guard case .string(let text)? = self[key] else { return nil }
        return text.lowercased()
    }

    /// Larger sizes are typos or attacks, and sums such as `height + 2 * padding` stay far from overflow.
    public static let maximumInteger = 1 << 24

    /// A whole number of at least `minimum` and at most `maximumInteger`.
    public func int(_ key: String, default defaultValue: Int? = nil, minimum: Int = 1) throws -> Int {
        try required(key, defaultValue, what: "a whole number")
        let value = try integer(key, default: defaultValue, atLeast: minimum, atMost: .max)
        guard value <= Self.maximumInteger else { throw invalid(key, "must be at most \(Self.maximumInteger), not \(value)") }
        return value
    }

    /// A size given once for both directions (`3`) or as `[height, width]`.
    public func pair(_ key: String, default defaultValue: Int? = nil, minimum: Int = 1) throws -> (Int, Int) {
        try required(key, defaultValue, what: "a whole number or [height, width]")
        switch self[key] {
        case nil, .int?:
            let value = try int(key, default: defaultValue, minimum: minimum)
            return (value, value)
        case .list(let values)?:
            guard values.count == 2, case .int(let height) = values[0], case .int(let width) = values[1] else {
                throw invalid(key, "must be a whole number or a list [height, width] of two whole numbers, not \(ArgumentValue.list(values))")
            }
            guard height >= minimum, width >= minimum else {
                throw invalid(key, "must be at least \(minimum) in both directions, not [\(height), \(width)]")
            }
            guard height <= Self.maximumInteger, width <= Self.maximumInteger else {
                throw invalid(key, "must be at most \(Self.maximumInteger) in both directions, not [\(height), \(width)]")
            }
            return (height, width)
        case let value?:
            throw invalid(key, "must be a whole number or [height, width], not \(value)")
        }
    }

    /// A real number in `range`; whole numbers are accepted.
    public func double(_ key: String, default defaultValue: Double, in range: ClosedRange<Double>) throws -> Double {
        try number(key, default: defaultValue, "between \(range.lowerBound) and \(range.upperBound)") { range.contains($0) }
    }

    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool { try flag(key, default: defaultValue) }

    /// A setting without a default must be given; the message says what it takes.
    private func required<Value>(_ key: String, _ defaultValue: Value?, what: String) throws {
        if defaultValue == nil && !contains(key) { throw missing(key, what: what) }
    }
}
