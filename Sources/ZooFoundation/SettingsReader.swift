/// One config section's settings, as an optimizer, schedule, transform or dataset reads them. ZooConfig
/// reads them from the YAML tree, so errors name the file's line (or the `--set` that wrote the value);
/// `DictionarySettingsReader` reads them from plain values.
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

/// Settings from plain values, for callers without a config file (tests, fixtures); errors name the key.
public struct DictionarySettingsReader: SettingsReader {
    let values: [String: ArgumentValue]
    let owner: String

    public init(_ values: [String: ArgumentValue], owner: String) {
        self.values = values
        self.owner = owner
    }

    public func name(of key: String) -> String { key }
    public func contains(_ key: String) -> Bool { values[key] != nil }

    public func number(_ key: String, default: Double, _ requirement: String, _ isValid: (Double) -> Bool) throws -> Double {
        guard let value = values[key] else { return `default` }
        guard let number = value.number, number.isFinite, isValid(number) else { throw fail("`\(key)` must be a number \(requirement)", at: key, hint: nil) }
        return number
    }

    public func integer(_ key: String, default: Int?, atLeast minimum: Int, atMost maximum: Int) throws -> Int {
        guard let value = values[key] else {
            if let `default` { return `default` }
            throw missing(key)
        }
        guard case .int(let whole) = value, whole >= minimum, whole <= maximum else {
            throw fail("`\(key)` must be a whole number from \(minimum) to \(maximum)", at: key, hint: nil)
        }
        return whole
    }

    public func flag(_ key: String, default: Bool) throws -> Bool {
        guard let value = values[key] else { return `default` }
        guard case .bool(let flag) = value else { throw fail("`\(key)` must be true or false", at: key, hint: nil) }
        return flag
    }

    public func choice(_ key: String, default: String, from choices: [String]) throws -> String {
        guard let value = values[key] else { return `default` }
        guard case .string(let text) = value, choices.contains(text) else {
            throw fail("`\(key)` must be one of \(choices.joined(separator: ", "))", at: key, hint: nil)
        }
        return text
    }

    public func numbers(_ key: String, _ requirement: String, _ isValid: (Double) -> Bool) throws -> [Double]? {
        guard let value = values[key] else { return nil }
        guard case .list(let elements) = value else { throw fail("`\(key)` must be a list", at: key, hint: nil) }
        return try elements.map { element in
            guard let number = element.number, number.isFinite, isValid(number) else {
                throw fail("`\(key)` must hold numbers \(requirement)", at: key, hint: nil)
            }
            return number
        }
    }

    public func increasingIntegers(_ key: String, atLeast minimum: Int) throws -> [Int]? {
        guard let value = values[key] else { return nil }
        guard case .list(let elements) = value else { throw fail("`\(key)` must be a list", at: key, hint: nil) }
        let integers = elements.compactMap { element -> Int? in if case .int(let whole) = element { return whole } else { return nil } }
        guard integers.count == elements.count, !integers.isEmpty, integers.allSatisfy({ $0 >= minimum }),
              zip(integers, integers.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw fail("`\(key)` must be increasing whole numbers of at least \(minimum)", at: key, hint: nil)
        }
        return integers
    }

    public func section(_ key: String, allowed: [String], owner: String) throws -> (any SettingsReader)? {
        guard let value = values[key] else { return nil }
        guard case .mapping(let entries) = value else { throw fail("`\(key)` must be a mapping", at: key, hint: nil) }
        return DictionarySettingsReader(Dictionary(entries, uniquingKeysWith: { $1 }), owner: owner)
    }

    public func missing(_ key: String) -> ZooError { fail("\(owner) needs `\(key)`", at: nil, hint: nil) }

    public func fail(_ message: String, at key: String?, hint: String?) -> ZooError {
        ZooError(message, place: owner, hint: hint)
    }
}
