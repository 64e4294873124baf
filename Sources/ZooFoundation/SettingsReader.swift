/// One config section's settings, as an optimizer, schedule, transform or dataset reads them. ZooConfig
/// reads them from the YAML tree, so errors name the file's line (or the `--set` that wrote the value);
/// `ArgumentReader` reads them from plain values.
public protocol SettingsReader {
    /// The dotted path of `key` as messages show it, e.g. `optimizer.lr`.
    func name(of key: String) -> String
    func contains(_ key: String) -> Bool
    /// A finite number for which `isValid` holds; `requirement` says which those are.
    func number(_ key: String, default: Double, _ requirement: String, _ isValid: (Double) -> Bool) throws -> Double
    /// A whole number in range; without a default the key is required.
    func integer(_ key: String, default: Int?, atLeast minimum: Int, atMost maximum: Int) throws -> Int
    func flag(_ key: String, default: Bool) throws -> Bool
    /// One of `choices` (a word such as `cos`), a misspelling told the nearest.
    func choice(_ key: String, default: String, from choices: [String]) throws -> String
    /// A list of numbers, each valid; nil when absent.
    func numbers(_ key: String, _ requirement: String, _ isValid: (Double) -> Bool) throws -> [Double]?
    /// A non-empty, strictly increasing list of whole numbers of at least `minimum`; nil when absent.
    func increasingIntegers(_ key: String, atLeast minimum: Int) throws -> [Int]?
    /// A nested mapping, such as `random_crop: {size: 28, padding: 2}`; nil when absent.
    func section(_ key: String, allowed: [String], owner: String) throws -> (any SettingsReader)?
    /// "the step schedule needs `step_size`", with a hint listing the section's settings.
    func missing(_ key: String) -> ZooError
    /// An error located at `key` (or at the section when nil).
    func fail(_ message: String, at key: String?, hint: String?) -> ZooError
}

extension SettingsReader {
    public func integer(_ key: String, default: Int?, atLeast minimum: Int) throws -> Int {
        try integer(key, default: `default`, atLeast: minimum, atMost: .max)
    }
}

/// "unknown optimizer `adma`", with the nearest known name as a hint.
public func unknownName(_ text: String, what: String, known names: [String]) -> ZooError {
    let known = "known \(what)s: " + names.joined(separator: ", ")
    return ZooError("unknown \(what) `\(text)`", hint: nearest(to: text, in: names).map { "did you mean `\($0)`? \(known)" } ?? known)
}

/// Settings as values, each with the place it was written when there is one: a layer entry's arguments after
/// parameter references are resolved (ZooCore's `LayerArguments`), or plain values from a caller without a
/// config file (tests, fixtures). Every typed read of a value and its range check is here, once; a message is
/// "<owner>: `key` must be ..., not <value>" at the value's line, else at the entry's.
public struct ArgumentReader: SettingsReader {
    /// Names the entry in messages: a layer type (`conv2d`), "the sgd optimizer".
    public let owner: String
    private let values: [String: ArgumentValue]
    private let locations: [String: SourceLocation]
    private let location: SourceLocation?
    /// The hint for a missing required setting, given its key.
    private let missingHint: ((String) -> String)?

    public init(_ values: [String: ArgumentValue], owner: String, locations: [String: SourceLocation] = [:],
                at location: SourceLocation? = nil, missingHint: ((String) -> String)? = nil) {
        self.values = values
        self.owner = owner
        self.locations = locations
        self.location = location
        self.missingHint = missingHint
    }

    /// The keys given, sorted.
    public var keys: [String] { values.keys.sorted() }

    public subscript(key: String) -> ArgumentValue? { values[key] }

    /// Where a setting was written, or the entry's place when it was not.
    public func location(of key: String) -> SourceLocation? { locations[key] ?? location }

    public func name(of key: String) -> String { key }
    public func contains(_ key: String) -> Bool { values[key] != nil }

    public func number(_ key: String, default: Double, _ requirement: String, _ isValid: (Double) -> Bool) throws -> Double {
        guard let value = values[key] else { return `default` }
        guard let number = value.number, number.isFinite, isValid(number) else {
            throw invalid(key, "must be a number \(requirement), not \(value)")
        }
        return number
    }

    public func integer(_ key: String, default: Int?, atLeast minimum: Int, atMost maximum: Int) throws -> Int {
        guard let value = values[key] else {
            if let `default` { return `default` }
            throw missing(key)
        }
        guard case .int(let whole) = value else { throw invalid(key, "must be a whole number, not \(value)") }
        guard whole >= minimum else { throw invalid(key, "must be at least \(minimum), not \(whole)") }
        guard whole <= maximum else { throw invalid(key, "must be at most \(maximum), not \(whole)") }
        return whole
    }

    public func flag(_ key: String, default: Bool) throws -> Bool {
        guard let value = values[key] else { return `default` }
        guard case .bool(let flag) = value else { throw invalid(key, "must be true or false, not \(value)") }
        return flag
    }

    public func choice(_ key: String, default: String, from choices: [String]) throws -> String {
        guard let value = values[key] else { return `default` }
        guard case .string(let text) = value, choices.contains(text) else {
            throw invalid(key, "must be one of \(choices.joined(separator: ", ")), not \(value)")
        }
        return text
    }

    public func numbers(_ key: String, _ requirement: String, _ isValid: (Double) -> Bool) throws -> [Double]? {
        guard let value = values[key] else { return nil }
        guard case .list(let elements) = value else { throw invalid(key, "must be a list, not \(value)") }
        return try elements.map { element in
            guard let number = element.number, number.isFinite, isValid(number) else {
                throw invalid(key, "must hold numbers \(requirement), not \(element)")
            }
            return number
        }
    }

    public func increasingIntegers(_ key: String, atLeast minimum: Int) throws -> [Int]? {
        guard let value = values[key] else { return nil }
        guard case .list(let elements) = value else { throw invalid(key, "must be a list, not \(value)") }
        let integers = elements.compactMap { element -> Int? in if case .int(let whole) = element { return whole } else { return nil } }
        guard integers.count == elements.count, !integers.isEmpty, integers.allSatisfy({ $0 >= minimum }),
              zip(integers, integers.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw invalid(key, "must be increasing whole numbers of at least \(minimum), not \(value)")
        }
        return integers
    }

    public func section(_ key: String, allowed: [String], owner: String) throws -> (any SettingsReader)? {
        guard let value = values[key] else { return nil }
        guard case .mapping(let entries) = value else { throw invalid(key, "must be a mapping, not \(value)") }
        return ArgumentReader(Dictionary(entries, uniquingKeysWith: { $1 }), owner: owner, at: location(of: key))
    }

    public func missing(_ key: String) -> ZooError { missing(key, what: nil) }

    /// "linear needs `out` (a whole number)".
    public func missing(_ key: String, what: String?) -> ZooError {
        ZooError("\(owner) needs `\(key)`" + (what.map { " (\($0))" } ?? ""), at: location, hint: missingHint?(key))
    }

    public func fail(_ message: String, at key: String?, hint: String?) -> ZooError {
        let location = key.flatMap { locations[$0] } ?? location
        return ZooError(message, at: location, place: location == nil ? owner : nil, hint: hint)
    }

    /// "conv2d: `out` must be at least 1, not 0", at the value's line.
    public func invalid(_ key: String, _ requirement: String) -> ZooError {
        ZooError("\(owner): `\(key)` \(requirement)", at: location(of: key))
    }
}
