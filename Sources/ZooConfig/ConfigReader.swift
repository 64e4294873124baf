import Foundation
import Yams
import ZooCore

/// A value in a config tree and the dotted key path that reached it (`optimizer.lr`), for messages.
struct ConfigField {
    let node: Node
    let path: [String]

    var name: String { path.joined(separator: ".") }

    func child(_ key: String, _ node: Node) -> ConfigField { ConfigField(node: node, path: path + [key]) }
}

/// Reads typed values out of a config tree. A value from the file is located by its line and column;
/// one a `--set` put there has no mark and is located by the last override on its key path.
struct ConfigReader {
    let file: String
    let overrides: [ConfigOverride]
    /// Unknown keys, skipped so that reading goes on and a file's are all reported together.
    let mistakes = MistakeCollector()

    func fail(_ message: String, at field: ConfigField, hint: String? = nil) -> ZooError {
        if field.node.mark != nil { return ZooError(message, at: location(field.node, file), hint: hint) }
        return ZooError(message, place: place(of: field), hint: hint)
    }

    /// Where a value was written: its line in the file, else the override (as typed) that wrote it.
    func place(of field: ConfigField) -> String {
        if field.node.mark != nil { return location(field.node, file).description }
        return overrides.last { $0.path.starts(with: field.path) || field.path.starts(with: $0.path) }?.place ?? file
    }

    /// A mapping's entries by key, matched to `allowed` regardless of case, `-` and `_`; a key outside `allowed`
    /// is a mistake naming `owner` and PyTorch's translation or the nearest allowed key, recorded in `mistakes`.
    func entries(of field: ConfigField, allowed: [String], owner: String) throws -> [String: ConfigField] {
        guard case .mapping(let mapping) = field.node else {
            throw fail("`\(field.name)` must be a mapping, not \(kind(of: field.node))", at: field)
        }
        var entries: [String: ConfigField] = [:]
        for (keyNode, value) in mapping {
            // Keys from `--set` are always words, so a key that is not comes from the file.
            let typed = try plainKey(keyNode, file: file)
            guard let key = allowed.first(where: { $0 == typed }) ?? allowed.first(where: { sameName($0, typed) }) else {
                mistakes.record(fail("\(owner) has no key `\(typed)`; it takes \(quotedList(allowed))", at: field.child(typed, keyNode),
                                     hint: PyTorchNames.settingHint(typed) ?? nearest(to: typed, in: allowed).map { "did you mean `\($0)`?" }))
                continue
            }
            entries[key] = field.child(key, value)
        }
        return entries
    }

    /// The field's value under `rule`, a failure worded at the field: a whole number out of range as it is
    /// when `showsWholeNumber`, else as what it is ("the number 0", "the text \"x\""). Words, lists and
    /// numbers too large to read are no value of any rule's type, so the rule words what was expected.
    private func checked<Value>(_ field: ConfigField, showsWholeNumber: Bool = false,
                                _ rule: (ArgumentValue) throws(ValueRule.Failure) -> Value) throws -> Value {
        let value: ArgumentValue
        switch content(of: field.node) {
        case .value(let given): value = given
        case .null: throw missingValue(field)
        case .word(let text), .tooLarge(let text): value = .string(text)
        case .collection: value = .list([])
        }
        do {
            return try rule(value)
        } catch {
            let shown = if showsWholeNumber, case .int(let whole) = value { String(whole) } else { kind(of: field.node) }
            throw fail("`\(field.name)` \(error.requirement), not \(shown)", at: field)
        }
    }

    func integer(_ field: ConfigField, atLeast minimum: Int, atMost maximum: Int = .max) throws -> Int {
        try checked(field, showsWholeNumber: true) { value throws(ValueRule.Failure) in try ValueRule.integer(value, atLeast: minimum, atMost: maximum) }
    }

    /// A finite number (whole numbers are accepted) for which `isValid` holds; `requirement` says which those are.
    func number(_ field: ConfigField, _ requirement: String, _ isValid: (Double) -> Bool) throws -> Double {
        try checked(field) { value throws(ValueRule.Failure) in try ValueRule.number(value, requirement, isValid) }
    }

    func flag(_ field: ConfigField) throws -> Bool { try checked(field, ValueRule.flag) }

    /// A scalar's text; numbers are taken as text here.
    func text(_ field: ConfigField) throws -> String {
        guard case .scalar(let scalar) = field.node, !isNull(field.node) else {
            throw isNull(field.node) ? missingValue(field) : fail("`\(field.name)` must be a word or text, not \(kind(of: field.node))", at: field)
        }
        return scalar.string
    }

    func list(_ field: ConfigField) throws -> [ConfigField] {
        guard case .sequence(let elements) = field.node else {
            throw fail("`\(field.name)` must be a list such as `[1, 2]`, not \(kind(of: field.node))", at: field)
        }
        return elements.map { ConfigField(node: $0, path: field.path) }
    }

    /// One of a name table's cases, e.g. a loss; a misspelling gets the nearest name as a hint.
    func choice<Name: RawRepresentable & CaseIterable>(_ field: ConfigField, what: String) throws -> Name where Name.RawValue == String {
        try choice(field, what: what, from: Array(Name.allCases), named: \.rawValue)
    }

    /// One of `choices` by name, e.g. a registered optimizer; a misspelling gets the nearest name as a hint.
    func choice<Choice>(_ field: ConfigField, what: String, from choices: [Choice], named name: (Choice) -> String) throws -> Choice {
        let text = try text(field)
        do {
            return try ValueRule.choice(text, what: what, from: choices, named: name)
        } catch let failure as ZooError {
            throw fail(failure.message, at: field, hint: failure.hint)
        }
    }

    private func missingValue(_ field: ConfigField) -> ZooError {
        fail("`\(field.name)` has no value", at: field, hint: "write a value after `\(field.path.last ?? field.name):`, or remove the key to get its default")
    }
}

func quotedList(_ names: [String]) -> String { names.map { "`\($0)`" }.joined(separator: ", ") }
