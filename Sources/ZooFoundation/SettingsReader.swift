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

/// What a setting's value must be, checked here once for every reader: a config file's sections (ZooConfig's
/// `SectionReader`), layer arguments and plain values (`ArgumentReader`). A reader says where the value was
/// written and words the value (", not 0"); a rule says what it must be.
public enum ValueRule {
    /// "must be a whole number", "must be at least 1", "must be from 1 to 3".
    public struct Failure: Error {
        public let requirement: String
    }

    public static func integer(_ value: ArgumentValue, atLeast minimum: Int, atMost maximum: Int) throws(Failure) -> Int {
        guard case .int(let whole) = value else { throw Failure(requirement: "must be a whole number") }
        guard whole >= minimum, whole <= maximum else {
            throw Failure(requirement: "must be " + (maximum == .max ? "at least \(minimum)" : "from \(minimum) to \(maximum)"))
        }
        return whole
    }

    /// A finite number (whole numbers are accepted) for which `isValid` holds; `requirement` says which those are.
    public static func number(_ value: ArgumentValue, _ requirement: String, _ isValid: (Double) -> Bool) throws(Failure) -> Double {
        guard let number = value.number, number.isFinite, isValid(number) else { throw Failure(requirement: "must be a number \(requirement)") }
        return number
    }

    public static func flag(_ value: ArgumentValue) throws(Failure) -> Bool {
        guard case .bool(let flag) = value else { throw Failure(requirement: "must be true or false") }
        return flag
    }

    /// Where `values` first fails to increase: the index of the value no greater than the one before it.
    public static func firstNonIncrease(in values: [Int]) -> Int? {
        values.indices.dropFirst().first { values[$0] <= values[$0 - 1] }
    }

    /// One of `choices` by name, regardless of case, `-` and `_`; else "unknown WHAT", the nearest name as a hint.
    public static func choice<Choice>(_ text: String, what: String, from choices: [Choice], named name: (Choice) -> String) throws -> Choice {
        guard let choice = choices.first(where: { sameName(name($0), text) }) else { throw unknownName(text, what: what, known: choices.map(name)) }
        return choice
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

    /// `value` under `rule`, a failure worded at `key`.
    private func checked<Value>(_ key: String, _ value: ArgumentValue, _ rule: (ArgumentValue) throws(ValueRule.Failure) -> Value) throws -> Value {
        do {
            return try rule(value)
        } catch {
            throw invalid(key, "\(error.requirement), not \(value)")
        }
    }

    public func number(_ key: String, default: Double, _ requirement: String, _ isValid: (Double) -> Bool) throws -> Double {
        guard let value = values[key] else { return `default` }
        return try checked(key, value) { value throws(ValueRule.Failure) in try ValueRule.number(value, requirement, isValid) }
    }

    public func integer(_ key: String, default: Int?, atLeast minimum: Int, atMost maximum: Int) throws -> Int {
        guard let value = values[key] else {
            if let `default` { return `default` }
            throw missing(key)
        }
        return try checked(key, value) { value throws(ValueRule.Failure) in try ValueRule.integer(value, atLeast: minimum, atMost: maximum) }
    }

    public func flag(_ key: String, default: Bool) throws -> Bool {
        guard let value = values[key] else { return `default` }
        return try checked(key, value, ValueRule.flag)
    }

    public func choice(_ key: String, default: String, from choices: [String]) throws -> String {
        guard let value = values[key] else { return `default` }
        do {
            return try ValueRule.choice(value.plainText, what: "`\(key)` value", from: choices) { $0 }
        } catch let failure as ZooError {
            throw fail("\(owner): \(failure.message)", at: key, hint: failure.hint)
        }
    }

    /// The elements of a list.
    private func list(_ key: String) throws -> [ArgumentValue]? {
        guard let value = values[key] else { return nil }
        guard case .list(let elements) = value else { throw invalid(key, "must be a list, not \(value)") }
        return elements
    }

    public func numbers(_ key: String, _ requirement: String, _ isValid: (Double) -> Bool) throws -> [Double]? {
        try list(key)?.map { element in try checked(key, element) { value throws(ValueRule.Failure) in try ValueRule.number(value, requirement, isValid) } }
    }

    public func increasingIntegers(_ key: String, atLeast minimum: Int) throws -> [Int]? {
        guard let integers = try list(key)?.map({ element in
            try checked(key, element) { value throws(ValueRule.Failure) in try ValueRule.integer(value, atLeast: minimum, atMost: .max) }
        }) else { return nil }
        if let index = ValueRule.firstNonIncrease(in: integers) {
            throw invalid(key, "must increase, but \(integers[index]) follows \(integers[index - 1])")
        }
        guard !integers.isEmpty else { throw invalid(key, "is empty") }
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
