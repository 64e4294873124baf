import Foundation
import Yams
import ZooCore

/// A default in an architecture's `params:` section, e.g. `n_hidden: 8`.
public struct ArchitectureParameter: Sendable {
    public let name: String
    public let defaultValue: ArgumentValue
    public let location: SourceLocation?
}

/// One architecture file, parsed and checked: its layer list builds for any dataset input.
///
/// ```yaml
/// name: fc2layer
/// description: two hidden fully connected layers
/// params: {n_hidden: 8}
/// layers:
///   - flatten
///   - linear: n_hidden
///   - relu
///   - linear: num_classes
/// ```
public struct Architecture {
    public let name: String
    public let description: String
    /// The path the YAML was read from (`zoo/lenet.yaml` for built-ins); used in error locations.
    public let source: String
    /// The YAML text exactly as read, for checkpoint metadata; `parse(text:file:)` rebuilds it.
    public let text: String
    public let parameters: [ArchitectureParameter]
    let blocks: [String: BlockDefinition]
    let layerList: Node

    /// The top-level keys an architecture file may have.
    public static let topLevelKeys = ["name", "description", "params", "blocks", "layers"]
    /// Names every layer list may use; their values come from the dataset.
    public static let datasetNames = ["num_classes", "in_channels"]
    /// Block types the config layer expands into ordinary layers.
    public static let blockTypes = ["vgg", "repeat", "residual"]
    /// Limits on what a layer list may expand to.
    public static let maximumLayers = 2_000
    public static let maximumSize = 100_000

    /// Parses and checks an architecture's top level; its layer list is checked as it is expanded for a dataset
    /// (`shapes`, `network`, `layers`). Every mistake is a `ZooError` at its line and column in `file`.
    public static func parse(text: String, file: String) throws -> Architecture {
        guard let root = try YAMLLoader.load(text: text, file: file) else {
            throw ZooError("the architecture file is empty (or holds only comments)", at: SourceLocation(file: file, line: 1, column: 1),
                           hint: "an architecture file needs at least `name:` and `layers:`; see zoo/lenet.yaml")
        }
        let at = { (node: Node) in location(node, file) }
        guard case .mapping(let mapping) = root else {
            throw ZooError("the top level of an architecture file must be a mapping with `name:` and `layers:`, not \(kind(of: root))",
                           at: at(root), hint: "start the file with `name: my-net` on its own line")
        }
        var name: String?, description = "", parameters: [ArchitectureParameter] = [], layers: Node?
        var blocks: [String: BlockDefinition] = [:]
        // Unknown keys here and unknown layer types and settings below are reported together.
        let mistakes = MistakeCollector()
        for (key, value) in mapping {
            let keyText = try plainKey(key, file: file)
            switch keyText {
            case "name":
                guard let text = scalarText(value), !text.isEmpty, !text.contains(where: \.isWhitespace) else {
                    throw ZooError("`name` must be a single word such as `lenet`, not \(kind(of: value))", at: at(value))
                }
                name = text
            case "description":
                guard let text = scalarText(value) else {
                    throw ZooError("`description` must be text, not \(kind(of: value))", at: at(value),
                                   hint: "put the description in quotes if it contains `: ` or starts with a symbol")
                }
                description = text
            case "params":
                parameters = try parseParameters(value, file: file)
            case "layers":
                layers = value
            case "blocks":
                blocks = try parseBlocks(value, file: file)
            default:
                mistakes.record(ZooError("unknown top-level key `\(keyText)`; an architecture file has \(topLevelKeys.map { "`\($0)`" }.joined(separator: ", "))",
                                         at: at(key), hint: nearest(to: keyText, in: topLevelKeys).map { "did you mean `\($0)`?" }))
            }
        }
        do {
            return try checked(name: name, description: description, parameters: parameters, blocks: blocks, layers: layers, root: root,
                               text: text, file: file, mistakes: mistakes)
        } catch {
            throw mistakes.combined(with: error)
        }
    }

    /// `parse`'s checks of the top-level values, with its mistakes so far.
    private static func checked(name: String?, description: String, parameters: [ArchitectureParameter], blocks: [String: BlockDefinition],
                                layers: Node?, root: Node, text: String, file: String, mistakes: MistakeCollector) throws -> Architecture {
        let at = { (node: Node) in location(node, file) }
        // A misspelt `name:` or `layers:` is among the mistakes already found; the key's absence would only repeat it.
        if name == nil || layers == nil { try mistakes.throwIfAny() }
        guard let name else {
            throw ZooError("the architecture has no `name:`", at: at(root), hint: "add a line `name: my-net` at the top")
        }
        guard let layers else {
            throw ZooError("the architecture has no `layers:` list", at: at(root),
                           hint: "add `layers:` followed by entries such as `  - conv2d: {out: 6, kernel: 5}`")
        }
        guard case .sequence(let sequence) = layers else {
            throw ZooError("`layers` must be a list of layers (lines starting with `- `), not \(kind(of: layers))", at: at(layers),
                           hint: "write each layer on its own line as `  - relu` or `  - linear: 120`")
        }
        if sequence.isEmpty {
            throw ZooError("`layers` is empty; an architecture needs at least one layer", at: at(layers))
        }
        try mistakes.throwIfAny()
        // The layer list is expanded (and every layer type, setting, value and reference checked) once, for the
        // dataset it is built for: `shapes` and `network`.
        return Architecture(name: name, description: description, source: file, text: text,
                            parameters: parameters, blocks: blocks, layerList: layers)
    }

    /// Reads and parses a file.
    public static func load(path: String, displayPath: String? = nil) throws -> Architecture {
        let shown = displayPath ?? path
        return try parse(text: YAMLLoader.readText(path: path, shown: shown, kind: "architecture file"), file: shown)
    }

    /// The layer list for a dataset, with `params:` defaults replaced by `overrides` (from the config's `model:` or `--set`).
    public func layers(numClasses: Int, inputChannels: Int, overrides: [String: ArgumentValue]) throws -> [LayerDescription] {
        try expand(numClasses: numClasses, inputChannels: inputChannels, overrides: overrides).map(\.description)
    }

    /// The layer list with each layer made (and its settings checked) once.
    private func expand(numClasses: Int, inputChannels: Int, overrides: [String: ArgumentValue],
                        places: [String: String] = [:]) throws -> [(description: LayerDescription, layer: any Layer)] {
        var values: [String: ArgumentValue] = ["num_classes": .int(numClasses), "in_channels": .int(inputChannels)]
        for parameter in parameters { values[parameter.name] = parameter.defaultValue }
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            values[key] = try overrideValue(key: key, value: value, place: places[key])
        }
        let mistakes = MistakeCollector()
        var expander = LayerExpander(file: source, values: values, parameterNames: parameters.map(\.name), blocks: blocks,
                                     mistakes: mistakes)
        do {
            try expander.expandList(layerList, suffix: "")
        } catch {
            throw mistakes.combined(with: error)
        }
        try mistakes.throwIfAny()
        return Array(zip(expander.layers, expander.built))
    }

    /// The checked layers with their shapes, parameter shapes and MACs for an input shape (`[channels, height, width]`),
    /// with no parameter allocated: what `zoo summary` shows, for any size of network. `places` says where each
    /// override was written (`--set model.width=4`, a config's line), for messages; else `--set key=value`.
    public func shapes(input: Shape, numClasses: Int, overrides: [String: ArgumentValue],
                       places: [String: String] = [:]) throws -> NetworkShapes {
        try NetworkShapes(built: expand(numClasses: numClasses, inputChannels: input.channels, overrides: overrides, places: places),
                          inputShape: input)
    }

    /// The shapes for one of the datasets in `DatasetInput`.
    public func shapes(dataset: DatasetInput, overrides: [String: ArgumentValue] = [:],
                       places: [String: String] = [:]) throws -> NetworkShapes {
        try shapes(input: dataset.shape, numClasses: dataset.numClasses, overrides: overrides, places: places)
    }

    /// The shape-checked network for an input shape, its parameters allocated and initialised.
    public func network(input: Shape, numClasses: Int, overrides: [String: ArgumentValue], seed: UInt64,
                        places: [String: String] = [:]) throws -> Network {
        try Network(shapes: shapes(input: input, numClasses: numClasses, overrides: overrides, places: places), seed: seed)
    }

    /// The network for one of the datasets in `DatasetInput`.
    public func network(dataset: DatasetInput, overrides: [String: ArgumentValue] = [:], seed: UInt64 = 0,
                        places: [String: String] = [:]) throws -> Network {
        try network(input: dataset.shape, numClasses: dataset.numClasses, overrides: overrides, seed: seed, places: places)
    }

    /// `value` as the parameter's type; a whole number is also a number.
    private func overrideValue(key: String, value: ArgumentValue, place: String?) throws -> ArgumentValue {
        let text = value.plainText
        let setting = place ?? "--set \(key)=\(text)"
        guard let parameter = parameters.first(where: { $0.name == key }) else {
            if Architecture.datasetNames.contains(key) {
                throw ZooError("`\(key)` comes from the dataset and cannot be set", place: setting, hint: "choose the dataset with --dataset")
            }
            let known = parameters.isEmpty ? "\(name) has no parameters to set"
                : "\(name) has " + parameters.map { "`\($0.name)` (default \($0.defaultValue))" }.joined(separator: ", ")
            throw ZooError("\(name) has no parameter `\(key)`", place: setting,
                           hint: nearest(to: key, in: parameters.map(\.name)).map { "did you mean `\($0)`? \(known)" } ?? known)
        }
        switch (parameter.defaultValue, value) {
        case (.int, .int), (.bool, .bool): return value
        case (.double, .double(let number)) where number.isFinite: return value
        case (.double, .int(let whole)): return .double(Double(whole))
        case (.int, _):
            throw ZooError("`\(key)` must be a whole number (its default is \(parameter.defaultValue)), not `\(text)`", place: setting)
        case (.double, _):
            throw ZooError("`\(key)` must be a number (its default is \(parameter.defaultValue)), not `\(text)`", place: setting)
        case (.bool, _):
            throw ZooError("`\(key)` must be true or false (its default is \(parameter.defaultValue)), not `\(text)`", place: setting)
        case (.string, _), (.list, _), (.mapping, _):
            throw ZooError("`\(key)` cannot be set", place: setting)
        }
    }

    /// `blocks: {basic: {params: {out: 16}, layers: [...]}}`: blocks defined once, used like layers.
    private static func parseBlocks(_ node: Node, file: String) throws -> [String: BlockDefinition] {
        guard case .mapping(let mapping) = node else {
            throw ZooError("`blocks` must be a mapping of block names to definitions, not \(kind(of: node))", at: location(node, file),
                           hint: "for example `blocks: {basic: {params: {out: 16}, layers: [...]}}`")
        }
        var blocks: [String: BlockDefinition] = [:]
        for (key, value) in mapping {
            let name = try plainKey(key, file: file)
            guard Expression.isIdentifier(name) else {
                throw ZooError("block name `\(name)` must be a word of letters, digits and `_`", at: location(key, file))
            }
            if LayerRegistry.type(named: name) != nil || blockTypes.contains(name) {
                throw ZooError("a block cannot be called `\(name)`: that is a built-in layer type", at: location(key, file))
            }
            var parameters: [ArchitectureParameter] = [], layers: Node?
            switch value {
            case .sequence: layers = value
            case .mapping(let fields):
                for (fieldKey, fieldValue) in fields {
                    switch try plainKey(fieldKey, file: file) {
                    case "params": parameters = try parseParameters(fieldValue, file: file)
                    case "layers": layers = fieldValue
                    case let other:
                        throw ZooError("block `\(name)` has no setting `\(other)`; a block has `params` and `layers`", at: location(fieldKey, file),
                                       hint: nearest(to: other, in: ["params", "layers"]).map { "did you mean `\($0)`?" })
                    }
                }
            default: break
            }
            guard let layers, case .sequence(let list) = layers, !list.isEmpty else {
                throw ZooError("block `\(name)` needs a non-empty `layers` list", at: location(value, file),
                               hint: "write `\(name): {params: {out: 16}, layers: [...]}`")
            }
            blocks[name] = BlockDefinition(name: name, parameters: parameters, layers: layers)
        }
        return blocks
    }

    private static func parseParameters(_ node: Node, file: String) throws -> [ArchitectureParameter] {
        if case .scalar = node, isNull(node) { return [] }
        guard case .mapping(let mapping) = node else {
            throw ZooError("`params` must be a mapping of names to default values, such as `params: {n_hidden: 8}`, not \(kind(of: node))",
                           at: location(node, file))
        }
        var parameters: [ArchitectureParameter] = []
        for (key, value) in mapping {
            let name = try plainKey(key, file: file)
            guard Expression.isIdentifier(name) else {
                throw ZooError("parameter name `\(name)` must be a word of letters, digits and `_` (such as `n_hidden`)", at: location(key, file))
            }
            if datasetNames.contains(name) {
                throw ZooError("`\(name)` cannot be a parameter: its value comes from the dataset", at: location(key, file),
                               hint: "use `\(name)` in the layer list directly, without declaring it")
            }
            let defaultValue: ArgumentValue
            switch content(of: value) {
            case .value(let given) where given.isNumberOrFlag: defaultValue = given
            case .tooLarge(let text):
                throw ZooError("the default of `\(name)` (\(text)) is too large", at: location(value, file))
            default:
                throw ZooError("the default of parameter `\(name)` must be a number or true/false, not \(kind(of: value))",
                               at: location(value, file), hint: "for example `\(name): 8`")
            }
            parameters.append(ArchitectureParameter(name: name, defaultValue: defaultValue, location: location(key, file)))
        }
        return parameters
    }
}

// MARK: - Node helpers

/// What a node holds, as the default YAML 1.1 resolver reads it: a value (quoted text is a `.string`),
/// or what is not one yet.
enum NodeContent {
    case value(ArgumentValue)
    /// An unquoted word: a parameter reference, arithmetic, or a layer type.
    case word(String)
    case null
    case tooLarge(String)
    case collection
}

func content(of node: Node) -> NodeContent {
    guard case .scalar(let scalar) = node else { return .collection }
    switch tagName(node) {
    case .int: return integer(scalar).map { .value(.int($0)) } ?? .tooLarge(scalar.string)
    case .float: return node.float.map { .value(.double($0)) } ?? .tooLarge(scalar.string)
    case .bool: return node.bool.map { .value(.bool($0)) } ?? .word(scalar.string)
    case .null: return .null
    default: return scalar.style == .plain ? .word(scalar.string) : .value(.string(scalar.string))
    }
}

/// Yams computes YAML 1.1 base-60 integers (`1:30` is 90) with arithmetic that traps on overflow, so those
/// are computed here with checks; every other integer form is Yams's own.
private func integer(_ scalar: Node.Scalar) -> Int? {
    let text = scalar.string.replacingOccurrences(of: "_", with: "")
    guard text.contains(":") else { return Int.construct(from: scalar) }
    let negative = text.hasPrefix("-")
    var value = 0
    for digit in text.drop(while: { $0 == "-" || $0 == "+" }).split(separator: ":", omittingEmptySubsequences: false) {
        guard let digit = Int(digit) else { return nil }
        let (shifted, shiftOverflow) = value.multipliedReportingOverflow(by: 60)
        let (sum, sumOverflow) = shifted.addingReportingOverflow(digit)
        guard !shiftOverflow, !sumOverflow else { return nil }
        value = sum
    }
    return negative ? -value : value
}

func isNull(_ node: Node) -> Bool {
    if case .null = content(of: node) { return true }
    return false
}

extension Architecture {
    /// A model parameter's value as given (in `model:` or by `--set`): a number or true/false as YAML reads it,
    /// else its text, which `layers` refuses quoting it.
    static func parameterValue(_ node: Node?, text: String) -> ArgumentValue {
        if let node, case .value(let value) = content(of: node), value.isNumberOrFlag { return value }
        return .string(text)
    }

    /// A `--set n_hidden=16` value for `zoo summary`, read as YAML like every other `--set` value.
    public static func parameterValue(text: String) -> ArgumentValue {
        parameterValue(try? YAMLLoader.load(text: text, file: "--set"), text: text)
    }
}

extension ArgumentValue {
    /// What a model parameter can be.
    var isNumberOrFlag: Bool {
        switch self {
        case .int, .double, .bool: return true
        case .string, .list, .mapping: return false
        }
    }
}

func location(_ node: Node, _ file: String) -> SourceLocation {
    SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
}

/// The resolved tag (`tag:yaml.org,2002:int` for `5`); Yams keeps `Tag.name` internal.
func tagName(_ node: Node) -> Tag.Name { Tag.Name(rawValue: node.tag.description) }

/// A scalar's text, for `name:` and `description:` (numbers are accepted as text there).
func scalarText(_ node: Node) -> String? {
    guard case .scalar(let scalar) = node, tagName(node) != .null else { return nil }
    return scalar.string
}

/// Words for error messages: "a list", "the number 5", "nothing".
func kind(of node: Node) -> String {
    switch node {
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    case .alias: return "an alias"
    case .scalar(let scalar):
        switch content(of: node) {
        case .null: return "nothing"
        case .value(.int), .value(.double), .tooLarge: return "the number \(scalar.string)"
        case .value(.bool): return "`\(scalar.string)`"
        default: return "the text \"\(scalar.string)\""
        }
    }
}

/// A mapping key, which must be plain text.
func plainKey(_ node: Node, file: String) throws -> String {
    guard case .scalar(let scalar) = node else {
        throw ZooError("a mapping key must be a word, not \(kind(of: node))", at: location(node, file))
    }
    return scalar.string
}
