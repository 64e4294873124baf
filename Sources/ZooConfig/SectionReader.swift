import Yams
import ZooCore

/// The settings of one config section (an optimizer, a schedule, the dataset, a transform), read from the
/// YAML tree: errors carry the file's line, or the `--set` that wrote the value.
struct SectionReader: SettingsReader {
    let reader: ConfigReader
    let field: ConfigField
    let entries: [String: ConfigField]
    /// Names the section in "the step schedule needs `step_size`".
    let owner: String
    /// The hint for a missing required setting.
    var missingHint: String?

    /// The mapping at `field`; keys outside `allowed` are errors naming `owner`.
    init(_ reader: ConfigReader, _ field: ConfigField, allowed: [String], owner: String, missingHint: String? = nil) throws {
        self.reader = reader
        self.field = field
        self.owner = owner
        self.missingHint = missingHint
        entries = try reader.entries(of: field, allowed: allowed, owner: owner)
    }

    /// A section given as a bare name: no settings.
    init(_ reader: ConfigReader, bare field: ConfigField, owner: String, missingHint: String?) {
        self.reader = reader
        self.field = field
        self.owner = owner
        self.missingHint = missingHint
        entries = [:]
    }

    func name(of key: String) -> String { (field.path + [key]).joined(separator: ".") }

    func contains(_ key: String) -> Bool { entries[key] != nil }

    func number(_ key: String, default: Double, _ requirement: String, _ isValid: (Double) -> Bool) throws -> Double {
        try entries[key].map { try reader.number($0, requirement, isValid) } ?? `default`
    }

    func integer(_ key: String, default: Int?, atLeast minimum: Int, atMost maximum: Int) throws -> Int {
        guard let entry = entries[key] else {
            guard let `default` else { throw missing(key) }
            return `default`
        }
        return try reader.integer(entry, atLeast: minimum, atMost: maximum)
    }

    func flag(_ key: String, default: Bool) throws -> Bool { try entries[key].map(reader.flag) ?? `default` }

    func choice(_ key: String, default: String, from choices: [String]) throws -> String {
        try entries[key].map { try reader.choice($0, what: "`\(name(of: key))` value", from: choices) { $0 } } ?? `default`
    }

    func numbers(_ key: String, _ requirement: String, _ isValid: (Double) -> Bool) throws -> [Double]? {
        try entries[key].map { try reader.list($0).map { try reader.number($0, requirement, isValid) } }
    }

    func increasingIntegers(_ key: String, atLeast minimum: Int) throws -> [Int]? {
        guard let list = entries[key] else { return nil }
        let entries = try reader.list(list)
        let values = try entries.map { try reader.integer($0, atLeast: minimum) }
        if let index = ValueRule.firstNonIncrease(in: values) {
            throw reader.fail("`\(key)` must increase, but \(values[index]) follows \(values[index - 1])", at: entries[index],
                              hint: "for example `[30, 60, 90]`")
        }
        guard !values.isEmpty else { throw reader.fail("`\(key)` is empty", at: list, hint: "for example `[30, 60, 90]`") }
        return values
    }

    func section(_ key: String, allowed: [String], owner: String) throws -> (any SettingsReader)? {
        try entries[key].map { try SectionReader(reader, $0, allowed: allowed, owner: owner) }
    }

    func missing(_ key: String) -> ZooError { reader.fail("\(owner) needs `\(key)`", at: field, hint: missingHint) }

    func fail(_ message: String, at key: String?, hint: String?) -> ZooError {
        reader.fail(message, at: key.flatMap { entries[$0] } ?? field, hint: hint)
    }
}
