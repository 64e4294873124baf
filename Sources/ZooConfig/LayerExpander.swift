import Foundation
import Yams
import ZooCore

/// A block defined once under `blocks:` and used like a layer: its parameters' defaults and its layer list.
struct BlockDefinition {
    let name: String
    let parameters: [ArchitectureParameter]
    let layers: Node
}

/// Turns a `layers:` list into `LayerDescription`s: reads the three entry forms, expands `vgg`, `repeat`,
/// `residual` and named blocks, gives layers inside blocks PyTorch-style full names (`layer1.0.conv1`),
/// resolves `from:` names and parameter references, and keeps every value's line and column.
struct LayerExpander {
    let file: String
    private var values: [String: ArgumentValue]
    private var parameterNames: [String]
    let blocks: [String: BlockDefinition]
    /// Unknown layer types and settings: each such entry is left out and expansion goes on, so all are reported together.
    let mistakes: MistakeCollector
    private(set) var layers: [LayerDescription] = []
    /// Each layer made once from its description, its settings checked as it is made.
    private(set) var built: [any Layer] = []
    private var namesUsed: Set<String> = []
    /// Where new layers go: the full name of the block instance being expanded ("" at the top level)
    /// and how many entries it has so far (the name of an unnamed one).
    private var scope = (prefix: "", position: 0)
    /// The blocks being expanded, outermost first, to refuse a block used inside itself.
    private var activeBlocks: [String] = []
    /// The input of the next layer when it has no `from:` (a residual's shortcut reads the block's input).
    private var nextInput: String?

    init(file: String, values: [String: ArgumentValue], parameterNames: [String], blocks: [String: BlockDefinition] = [:],
         mistakes: MistakeCollector = MistakeCollector()) {
        self.file = file
        self.mistakes = mistakes
        self.values = values
        self.parameterNames = parameterNames
        self.blocks = blocks
    }

    private func at(_ node: Node) -> SourceLocation { location(node, file) }

    /// The full name of the layer emitted last (its index at the top level when unnamed).
    private var lastName: String? { layers.last.map { $0.name ?? String(layers.count - 1) } }

    mutating func expandList(_ list: Node, suffix: String) throws {
        guard case .sequence(let entries) = list else {
            throw ZooError("`layers` must be a list of layers (lines starting with `- `), not \(kind(of: list))", at: at(list))
        }
        for entry in entries { try expandEntry(entry, suffix: suffix) }
    }

    private mutating func expandEntry(_ entry: Node, suffix: String) throws {
        switch entry {
        case .scalar:
            switch content(of: entry) {
            case .word(let type), .value(.string(let type)):
                try expand(type: type, typeNode: entry, value: nil, suffix: suffix)
            default:
                throw ZooError("a layer entry must be a layer type such as `relu`, or `type: settings` such as `linear: 120`, not \(kind(of: entry))",
                               at: at(entry))
            }
        case .mapping(let mapping):
            guard let first = mapping.first else {
                throw ZooError("a layer entry is an empty mapping", at: at(entry), hint: "write a layer type, e.g. `- relu`")
            }
            guard mapping.count == 1 else {
                let keys = mapping.map { $0.key.string ?? "?" }
                let type = keys[0]
                if isNull(first.value), let layerType = LayerRegistry.type(named: type),
                   keys.dropFirst().allSatisfy({ layerType.argumentNames.contains($0) || $0 == "name" || $0 == "from" }) {
                    throw ZooError("the settings of `\(type)` are not indented under it", at: at(mapping[1].key),
                                   hint: "indent them further than `\(type):`, or write `- \(type): {\(keys.dropFirst().map { "\($0): ..." }.joined(separator: ", "))}`")
                }
                throw ZooError("a layer entry must have exactly one key, its type, but this one has \(keys.map { "`\($0)`" }.joined(separator: ", "))",
                               at: at(mapping[1].key), hint: "start each layer with its own `- `, and put its settings in `{...}` after the type")
            }
            let type = try plainKey(first.key, file: file)
            try expand(type: type, typeNode: first.key, value: first.value, suffix: suffix)
        case .sequence, .alias:
            throw ZooError("a layer entry must be a layer type or `type: settings`, not \(kind(of: entry))", at: at(entry),
                           hint: "a nested list is only allowed inside `repeat: {times: 2, layers: [...]}`")
        }
    }

    private mutating func expand(type: String, typeNode: Node, value: Node?, suffix: String) throws {
        let value = value.flatMap { isNull($0) ? nil : $0 }
        switch Architecture.blockTypes.first(where: { sameName($0, type) }) ?? type {
        case "vgg": return try expandVGG(typeNode: typeNode, value: value)
        case "repeat": return try expandRepeat(typeNode: typeNode, value: value, suffix: suffix)
        case "residual": return try expandResidual(typeNode: typeNode, value: value, suffix: suffix)
        default: break
        }
        if let block = blocks[type] { return try expandBlockUse(block, typeNode: typeNode, value: value) }
        let layerType: any Layer.Type
        do {
            layerType = try LayerRegistry.type(named: type, at: at(typeNode), otherNames: Architecture.blockTypes + blocks.keys.sorted())
        } catch let error as ZooError {
            return mistakes.record(error)
        }
        let type = layerType.typeName
        var arguments: [String: LayerArgument] = [:]
        var hasUnknownSetting = false
        var name: String?
        var inputs: [LayerInput] = []
        switch value {
        case nil: break
        case .mapping(let mapping)?:
            for (keyNode, valueNode) in mapping {
                let key = try plainKey(keyNode, file: file)
                if key == "name" {
                    guard case .word(let text) = content(of: valueNode), Expression.isIdentifier(text) else {
                        throw ZooError("a layer `name` must be a word of letters, digits and `_` starting with a letter, such as `conv1`, not \(kind(of: valueNode))",
                                       at: at(valueNode))
                    }
                    name = text + suffix
                    continue
                }
                if key == "from" {
                    inputs = try parseFrom(valueNode)
                    continue
                }
                let unknown = LayerRegistry.unknownSettings(of: layerType, [(key, at(keyNode))], entryKeys: ["name", "from"])
                guard unknown.isEmpty else {
                    unknown.forEach(mistakes.record)
                    hasUnknownSetting = true
                    continue
                }
                arguments[key] = LayerArgument(try resolve(valueNode, key: key), at: at(valueNode))
            }
        case let node?:
            guard let primary = layerType.primaryArgument else {
                let hint = layerType.argumentNames.isEmpty ? "write it as `- \(type)`"
                    : "name the setting: `- \(type): {\(layerType.argumentNames[0]): ...}`"
                throw ZooError("\(type) takes no bare value (\(kind(of: node)))", at: at(node), hint: hint)
            }
            arguments[primary] = LayerArgument(try resolve(node, key: primary), at: at(node))
        }
        // Built without the unknown settings it would fail for their absence ("needs `out`"), a mistake already recorded.
        if hasUnknownSetting { return }
        try append(LayerDescription(type: type, name: name, arguments: arguments, inputs: inputs, location: at(typeNode)))
    }

    private mutating func append(_ description: LayerDescription) throws {
        var description = description
        if !scope.prefix.isEmpty { description.name = scope.prefix + "." + (description.name ?? String(scope.position)) }
        scope.position += 1
        if let input = nextInput, description.inputs.isEmpty { description.inputs = [LayerInput(.name(input), at: description.location)] }
        nextInput = nil
        // Two layers of one name are refused with the network's other structural checks (`NetworkShapes`).
        if let name = description.name { namesUsed.insert(name) }
        if layers.count >= Architecture.maximumLayers {
            throw ZooError("the layer list expands to more than \(Architecture.maximumLayers) layers", at: description.location,
                           hint: "check `repeat` counts")
        }
        built.append(try LayerRegistry.makeLayer(description))
        layers.append(description)
    }

    // MARK: Blocks

    /// `- vgg: {cfg: [64, M, 128, M], batchnorm: true}`: per number a 3x3 convolution with padding 1
    /// (+ batchnorm) + relu, per `M` a 2x2 max pool, as in torchvision's `make_layers`.
    private mutating func expandVGG(typeNode: Node, value: Node?) throws {
        var cfgNode: Node?, batchnorm = false
        switch value {
        case .sequence?: cfgNode = value
        case .mapping(let mapping)?:
            for (keyNode, valueNode) in mapping {
                let key = try plainKey(keyNode, file: file)
                switch key {
                case "cfg": cfgNode = valueNode
                case "batchnorm":
                    guard case .bool(let flag) = try resolveParameterized(valueNode, key: key) else {
                        throw ZooError("vgg: `batchnorm` must be true or false, not \(kind(of: valueNode))", at: at(valueNode))
                    }
                    batchnorm = flag
                default:
                    throw ZooError("vgg has no setting `\(key)`; it takes `cfg` and `batchnorm`", at: at(keyNode),
                                   hint: nearest(to: key, in: ["cfg", "batchnorm"]).map { "did you mean `\($0)`?" })
                }
            }
        default:
            throw ZooError("vgg needs a `cfg` list", at: at(value ?? typeNode), hint: "write `- vgg: {cfg: [64, M, 128, M], batchnorm: true}`")
        }
        guard let cfgNode else {
            throw ZooError("vgg needs a `cfg` list", at: at(typeNode), hint: "write `- vgg: {cfg: [64, M, 128, M], batchnorm: true}`")
        }
        guard case .sequence(let cfg) = cfgNode, !cfg.isEmpty else {
            throw ZooError("vgg `cfg` must be a non-empty list of channel counts and `M` (max pool), not \(kind(of: cfgNode))", at: at(cfgNode),
                           hint: "for example `cfg: [64, M, 128, M]`")
        }
        for (index, entry) in cfg.enumerated() {
            let where_ = at(entry)
            if case .word("M") = content(of: entry) {
                try append(LayerDescription(type: "maxpool2d", arguments: ["kernel": LayerArgument(.int(2), at: where_)], location: where_))
                continue
            }
            let bad = { (extra: String?) in
                ZooError("vgg cfg entry \(index + 1) must be a channel count or `M` (a 2x2 max pool), not \(kind(of: entry))", at: where_, hint: extra)
            }
            let channels: ArgumentValue
            switch content(of: entry) {
            case .value(.int(let number)): channels = .int(number)
            case .word(let word) where word.lowercased() == "m" || word.lowercased() == "max" || word.lowercased() == "maxpool":
                throw bad("write `M` (capital) for a max pool")
            case .word(let word) where Expression.looksLikeExpression(word):
                channels = try resolve(entry, key: "cfg")
            case .value(.string("M")): throw bad("write M without quotes")
            default: throw bad(nil)
            }
            guard case .int(let count) = channels, count >= 1 else {
                throw bad("channel counts must be at least 1")
            }
            try checkSize(count, at: entry)
            try append(LayerDescription(type: "conv2d", arguments: ["out": LayerArgument(.int(count), at: where_),
                                                                   "kernel": LayerArgument(.int(3), at: where_),
                                                                   "padding": LayerArgument(.int(1), at: where_)], location: where_))
            if batchnorm { try append(LayerDescription(type: "batchnorm", location: where_)) }
            try append(LayerDescription(type: "relu", location: where_))
        }
    }

    /// `- repeat: {times: 2, layers: [...]}`: the inner list, `times` times. Named layers inside get
    /// `_1`, `_2`, ... appended so their parameter names stay unique.
    private mutating func expandRepeat(typeNode: Node, value: Node?, suffix: String) throws {
        guard case .mapping(let mapping)? = value else {
            throw ZooError("repeat needs `times` and `layers`", at: at(value ?? typeNode),
                           hint: "write `- repeat: {times: 2, layers: [{conv2d: {out: 32, kernel: 3, padding: 1}}, relu]}`")
        }
        var timesNode: Node?, listNode: Node?
        for (keyNode, valueNode) in mapping {
            let key = try plainKey(keyNode, file: file)
            switch key {
            case "times": timesNode = valueNode
            case "layers": listNode = valueNode
            default:
                throw ZooError("repeat has no setting `\(key)`; it takes `times` and `layers`", at: at(keyNode),
                               hint: nearest(to: key, in: ["times", "layers"]).map { "did you mean `\($0)`?" })
            }
        }
        guard let timesNode else { throw ZooError("repeat needs `times` (how many copies)", at: at(typeNode)) }
        guard let listNode else { throw ZooError("repeat needs `layers` (the list to repeat)", at: at(typeNode)) }
        guard case .int(let times) = try resolveParameterized(timesNode, key: "times") else {
            throw ZooError("repeat `times` must be a whole number, not \(kind(of: timesNode))", at: at(timesNode))
        }
        guard times >= 1 else {
            throw ZooError("repeat `times` must be at least 1, not \(times)", at: at(timesNode), hint: "remove the block to leave it out")
        }
        guard times <= Architecture.maximumLayers else {
            throw ZooError("repeat `times` is \(times); at most \(Architecture.maximumLayers) is allowed", at: at(timesNode))
        }
        guard case .sequence(let inner) = listNode, !inner.isEmpty else {
            throw ZooError("repeat `layers` must be a non-empty list of layers, not \(kind(of: listNode))", at: at(listNode))
        }
        for copy in 1...times { try expandList(listNode, suffix: "\(suffix)_\(copy)") }
    }

    // MARK: Graphs

    /// `from: -2`, `from: stem_relu` or `from: [-1, stem_relu]`.
    private func parseFrom(_ node: Node) throws -> [LayerInput] {
        func one(_ node: Node) throws -> LayerInput {
            switch content(of: node) {
            case .value(.int(let offset)): return LayerInput(.offset(offset), at: at(node))
            case .word(let name) where name.split(separator: ".").allSatisfy({ Expression.isIdentifier(String($0)) || $0.allSatisfy(\.isNumber) }):
                return LayerInput(.name(resolveLayerName(name)), at: at(node))
            default:
                throw ZooError("`from` must name an earlier layer or give a negative offset such as -1, not \(kind(of: node))", at: at(node),
                               hint: "for example `from: stem_relu`, `from: -3` or `from: [-1, stem_relu]`")
            }
        }
        guard case .sequence(let elements) = node else { return [try one(node)] }
        guard !elements.isEmpty else {
            throw ZooError("`from` is an empty list", at: at(node),
                           hint: "list the layers to read, such as `from: [-1, stem_relu]`, or leave `from` out to read the layer before")
        }
        return try elements.map(one)
    }

    /// A name written inside a block means the innermost block's layer of that name, then the enclosing ones'.
    private func resolveLayerName(_ name: String) -> String {
        var prefix = scope.prefix
        while !prefix.isEmpty {
            if namesUsed.contains(prefix + "." + name) { return prefix + "." + name }
            prefix = prefix.split(separator: ".").dropLast().joined(separator: ".")
        }
        if namesUsed.contains(name) || scope.prefix.isEmpty { return name }
        return scope.prefix + "." + name
    }

    /// The mapping of a block entry's settings by key, refusing keys outside `allowed`.
    private func settings(of value: Node?, typeNode: Node, type: String, allowed: [String], example: String) throws -> [(key: String, keyNode: Node, value: Node)] {
        guard let value else { return [] }
        guard case .mapping(let mapping) = value else {
            throw ZooError("\(type) takes settings as a mapping, not \(kind(of: value))", at: at(value), hint: "write `- \(example)`")
        }
        return try mapping.map { keyNode, valueNode in
            let key = try plainKey(keyNode, file: file)
            guard allowed.contains(key) else {
                throw ZooError("\(type) has no setting `\(key)`; it takes \(allowed.map { "`\($0)`" }.joined(separator: ", "))", at: at(keyNode),
                               hint: nearest(to: key, in: allowed).map { "did you mean `\($0)`?" })
            }
            return (key, keyNode, valueNode)
        }
    }

    /// `- residual: {body: [...], shortcut: [...], shortcut_if: project}`: the body, then `add` of its output and
    /// the block's input, through `shortcut` when given (and `shortcut_if` is true), as PyTorch's `out + shortcut(x)`.
    /// Body layers are named in the enclosing block (`conv1`), shortcut layers `shortcut.0`, `shortcut.1`, ...
    private mutating func expandResidual(typeNode: Node, value: Node?, suffix: String) throws {
        let example = "residual: {body: [{conv2d: {out: 16, kernel: 3, padding: 1}}, batchnorm], shortcut: [...]}"
        var body: Node?, shortcut: Node?, useShortcut = true, name: String?
        for (key, _, valueNode) in try settings(of: value, typeNode: typeNode, type: "residual",
                                                allowed: ["name", "body", "shortcut", "shortcut_if"], example: example) {
            switch key {
            case "body": body = valueNode
            case "shortcut": shortcut = valueNode
            case "shortcut_if":
                guard case .bool(let flag) = try resolveParameterized(valueNode, key: key) else {
                    throw ZooError("residual: `shortcut_if` must be true or false, not \(kind(of: valueNode))", at: at(valueNode))
                }
                useShortcut = flag
            default:
                guard case .word(let text) = content(of: valueNode), Expression.isIdentifier(text) else {
                    throw ZooError("a residual `name` must be a word such as `block1`, not \(kind(of: valueNode))", at: at(valueNode))
                }
                name = text + suffix
            }
        }
        guard let body else { throw ZooError("residual needs a `body` list", at: at(typeNode), hint: "write `- \(example)`") }
        guard let blockInput = lastName else {
            throw ZooError("a residual block needs a layer before it: its input is added to its body's output", at: at(typeNode),
                           hint: "start the network with a stem, such as a conv2d")
        }
        let outer = scope
        if let name { scope = (scope.prefix.isEmpty ? name : scope.prefix + "." + name, 0) }
        try expandList(body, suffix: suffix)
        var joined = [lastName ?? blockInput]
        if let shortcut, useShortcut {
            let blockScope = scope
            scope = (scope.prefix.isEmpty ? "shortcut" : scope.prefix + ".shortcut", 0)
            nextInput = blockInput
            try expandList(shortcut, suffix: suffix)
            scope = (blockScope.prefix, blockScope.position + 1)
            joined.append(lastName ?? blockInput)
        } else {
            joined.append(blockInput)
        }
        try append(LayerDescription(type: "add", inputs: joined.map { LayerInput(.name($0), at: at(typeNode)) }, location: at(typeNode)))
        if name != nil { scope = (outer.prefix, outer.position + 1) }
    }

    /// A block from `blocks:` used like a layer: `- basic: {name: layer2, repeat: 3, out: 32, first: {stride: 2}}`
    /// makes `layer2.0`, `layer2.1`, `layer2.2` (the first with `first:`'s values), and
    /// `- separable: {name: layers, each: [{out: 64}, {out: 128, stride: 2}]}` one instance per entry.
    private mutating func expandBlockUse(_ block: BlockDefinition, typeNode: Node, value: Node?) throws {
        if activeBlocks.contains(block.name) {
            throw ZooError("block `\(block.name)` is used inside itself (\((activeBlocks + [block.name]).joined(separator: " -> ")))", at: at(typeNode),
                           hint: "a block cannot contain itself; use `repeat:` to chain copies")
        }
        let parameterKeys = block.parameters.map(\.name)
        var name: String?, times = 1, first: [String: ArgumentValue] = [:], each: [[String: ArgumentValue]]?
        var given: [String: ArgumentValue] = [:]
        func blockValues(_ node: Node) throws -> [String: ArgumentValue] {
            var result: [String: ArgumentValue] = [:]
            for (key, _, valueNode) in try settings(of: node, typeNode: typeNode, type: "block `\(block.name)`", allowed: parameterKeys,
                                                    example: "\(block.name): {\(parameterKeys.first ?? "x"): ...}") {
                result[key] = try parameterValue(valueNode, key: key)
            }
            return result
        }
        for (key, _, valueNode) in try settings(of: value, typeNode: typeNode, type: "block `\(block.name)`",
                                                allowed: ["name", "repeat", "first", "each"] + parameterKeys,
                                                example: "\(block.name): {name: layer1, repeat: 2}") {
            switch key {
            case "name":
                guard case .word(let text) = content(of: valueNode), Expression.isIdentifier(text) else {
                    throw ZooError("a block `name` must be a word such as `layer1`, not \(kind(of: valueNode))", at: at(valueNode))
                }
                name = text
            case "repeat":
                guard case .int(let count) = try resolveParameterized(valueNode, key: key), (1...Architecture.maximumLayers).contains(count) else {
                    throw ZooError("block `\(block.name)`: `repeat` must be a whole number from 1 to \(Architecture.maximumLayers), not \(kind(of: valueNode))",
                                   at: at(valueNode))
                }
                times = count
            case "first": first = try blockValues(valueNode)
            case "each":
                guard case .sequence(let list) = valueNode, !list.isEmpty else {
                    throw ZooError("block `\(block.name)`: `each` must be a non-empty list of settings, one per copy", at: at(valueNode))
                }
                each = try list.map(blockValues)
            default: given[key] = try parameterValue(valueNode, key: key)
            }
        }
        let instances = each ?? (0..<times).map { $0 == 0 ? first : [:] }
        let local = name ?? String(scope.prefix.isEmpty ? layers.count : scope.position)
        let base = scope.prefix.isEmpty ? local : scope.prefix + "." + local
        let outer = (scope: scope, values: values, parameterNames: parameterNames)
        activeBlocks.append(block.name)
        for (index, instance) in instances.enumerated() {
            scope = (each != nil || times > 1 ? "\(base).\(index)" : base, 0)
            values = outer.values
            for parameter in block.parameters { values[parameter.name] = parameter.defaultValue }
            values.merge(given) { $1 }
            values.merge(instance) { $1 }
            parameterNames = outer.parameterNames + parameterKeys
            try expandList(block.layers, suffix: "")
        }
        activeBlocks.removeLast()
        (scope, values, parameterNames) = ((outer.scope.prefix, outer.scope.position + 1), outer.values, outer.parameterNames)
    }

    /// A block parameter's value: a number or true/false, possibly computed from the caller's parameters.
    private func parameterValue(_ node: Node, key: String) throws -> ArgumentValue {
        let value = try resolveParameterized(node, key: key)
        guard value.isNumberOrFlag else { throw ZooError("`\(key)` must be a number or true/false, not \(kind(of: node))", at: at(node)) }
        return value
    }

    // MARK: Values

    /// A setting's value with parameter references and arithmetic resolved.
    private func resolve(_ node: Node, key: String) throws -> ArgumentValue {
        switch node {
        case .sequence(let elements):
            return .list(try elements.map { try resolve($0, key: key) })
        case .mapping, .alias:
            throw ZooError("`\(key)` must be a value, not \(kind(of: node))", at: at(node))
        case .scalar:
            let value = try resolveParameterized(node, key: key)
            if case .int(let number) = value { try checkSize(number, at: node) }
            return value
        }
    }

    private func checkSize(_ number: Int, at node: Node) throws {
        if number > Architecture.maximumSize {
            throw ZooError("\(number) is too large; sizes above \(Architecture.maximumSize) are refused", at: at(node),
                           hint: "a layer that large would need more memory than this machine has")
        }
    }

    private func resolveParameterized(_ node: Node, key: String) throws -> ArgumentValue {
        switch content(of: node) {
        case .value(let value): return value
        case .collection: return try resolve(node, key: key)
        case .tooLarge(let text):
            throw ZooError("`\(key)`: the number \(text) is too large", at: at(node))
        case .null:
            throw ZooError("`\(key)` has no value", at: at(node), hint: "write a value after `\(key):`")
        case .word(let text):
            // `padding: same` is a word for the layer, unless a parameter of that name is meant.
            guard Expression.looksLikeExpression(text), values[text] != nil || !Conv2d.paddingWords.contains(text.lowercased()) else {
                return .string(text)
            }
            let value = try Expression.evaluate(text, lookup: { name in try lookup(name, node: node) },
                                                fail: { message, hint in ZooError("`\(key)`: \(message)", at: at(node), hint: hint) })
            return value
        }
    }

    private func lookup(_ name: String, node: Node) throws -> ArgumentValue {
        if let value = values[name] { return value }
        let candidates = parameterNames + Architecture.datasetNames
        let known = "known names: " + (parameterNames.isEmpty ? "" : parameterNames.joined(separator: ", ") + " (from `params:`), ")
            + Architecture.datasetNames.joined(separator: ", ") + " (from the dataset)"
        throw ZooError("unknown parameter `\(name)`", at: at(node),
                       hint: nearest(to: name, in: candidates).map { "did you mean `\($0)`? \(known)" }
                           ?? "\(known); declare new ones under `params:`")
    }
}
