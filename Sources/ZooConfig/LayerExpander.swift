import Foundation
import Yams
import ZooCore

/// Turns a `layers:` list into `LayerDescription`s: reads the three entry forms, expands `vgg` and
/// `repeat` blocks, resolves parameter references, and keeps every value's line and column.
struct LayerExpander {
    let file: String
    let values: [String: ParameterValue]
    let parameterNames: [String]
    private(set) var layers: [LayerDescription] = []
    private var namesUsed: [String: SourceLocation] = [:]

    init(file: String, values: [String: ParameterValue], parameterNames: [String]) {
        self.file = file
        self.values = values
        self.parameterNames = parameterNames
    }

    private func at(_ node: Node) -> SourceLocation { location(node, file) }

    private var allTypes: [String] { LayerRegistry.names + Architecture.blockTypes }

    mutating func expandList(_ list: Node, suffix: String) throws {
        guard case .sequence(let entries) = list else {
            throw ZooError("`layers` must be a list of layers (lines starting with `- `), not \(kind(of: list))", at: at(list))
        }
        for entry in entries { try expandEntry(entry, suffix: suffix) }
    }

    private mutating func expandEntry(_ entry: Node, suffix: String) throws {
        switch entry {
        case .scalar:
            switch literal(entry) {
            case .word(let type), .quoted(let type):
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
                if case .null = literal(first.value), let layerType = LayerRegistry.type(named: type),
                   keys.dropFirst().allSatisfy({ layerType.argumentNames.contains($0) || $0 == "name" }) {
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
        let value = value.flatMap { node -> Node? in if case .null = literal(node) { return nil } else { return node } }
        switch type {
        case "vgg": return try expandVGG(typeNode: typeNode, value: value)
        case "repeat": return try expandRepeat(typeNode: typeNode, value: value, suffix: suffix)
        default: break
        }
        guard let layerType = LayerRegistry.type(named: type) else {
            throw ZooError("unknown layer type `\(type)`", at: at(typeNode),
                           hint: nearest(to: type, in: allTypes).map { "did you mean `\($0)`?" }
                               ?? "known types: \(allTypes.joined(separator: ", "))")
        }
        var arguments: [String: LayerArgument] = [:]
        var name: String?
        switch value {
        case nil: break
        case .mapping(let mapping)?:
            for (keyNode, valueNode) in mapping {
                let key = try plainKey(keyNode, file: file)
                if key == "name" {
                    guard case .word(let text) = literal(valueNode), Expression.isIdentifier(text) else {
                        throw ZooError("a layer `name` must be a word of letters, digits and `_` starting with a letter, such as `conv1`, not \(kind(of: valueNode))",
                                       at: at(valueNode))
                    }
                    name = text + suffix
                    continue
                }
                guard layerType.argumentNames.contains(key) else {
                    let allowed = layerType.argumentNames
                    let valid = allowed.isEmpty ? "it takes no settings except `name`"
                        : "it takes " + (allowed + ["name"]).map { "`\($0)`" }.joined(separator: ", ")
                    throw ZooError("\(type) has no setting `\(key)`; \(valid)", at: at(keyNode),
                                   hint: nearest(to: key, in: allowed + ["name"]).map { "did you mean `\($0)`?" })
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
        try append(LayerDescription(type: type, name: name, arguments: arguments, location: at(typeNode)))
    }

    private mutating func append(_ description: LayerDescription) throws {
        if let name = description.name {
            if let earlier = namesUsed[name] {
                throw ZooError("two layers are named `\(name)`", at: description.location,
                               hint: "the first is at \(earlier); layer names must be unique (they prefix parameter names)")
            }
            namesUsed[name] = description.location
        }
        if layers.count >= Architecture.maximumLayers {
            throw ZooError("the layer list expands to more than \(Architecture.maximumLayers) layers", at: description.location,
                           hint: "check `repeat` counts")
        }
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
            if case .word("M") = literal(entry) {
                try append(LayerDescription(type: "maxpool2d", arguments: ["kernel": LayerArgument(.int(2), at: where_)], location: where_))
                continue
            }
            let bad = { (extra: String?) in
                ZooError("vgg cfg entry \(index + 1) must be a channel count or `M` (a 2x2 max pool), not \(kind(of: entry))", at: where_, hint: extra)
            }
            let channels: ArgumentValue
            switch literal(entry) {
            case .int(let number): channels = .int(number)
            case .word(let word) where word.lowercased() == "m" || word.lowercased() == "max" || word.lowercased() == "maxpool":
                throw bad("write `M` (capital) for a max pool")
            case .word(let word) where Expression.looksLikeExpression(word):
                channels = try resolve(entry, key: "cfg")
            case .quoted("M"): throw bad("write M without quotes")
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
        switch literal(node) {
        case .int(let number): return .int(number)
        case .double(let number): return .double(number)
        case .bool(let flag): return .bool(flag)
        case .quoted(let text): return .string(text)
        case .collection: return try resolve(node, key: key)
        case .tooLarge(let text):
            throw ZooError("`\(key)`: the number \(text) is too large", at: at(node))
        case .null:
            throw ZooError("`\(key)` has no value", at: at(node), hint: "write a value after `\(key):`")
        case .word(let text):
            guard Expression.looksLikeExpression(text) else { return .string(text) }
            let value = try Expression.evaluate(text, lookup: { name in try lookup(name, node: node) },
                                                fail: { message, hint in ZooError("`\(key)`: \(message)", at: at(node), hint: hint) })
            return value.argument
        }
    }

    private func lookup(_ name: String, node: Node) throws -> ParameterValue {
        if let value = values[name] { return value }
        let candidates = parameterNames + Architecture.datasetNames
        let known = "known names: " + (parameterNames.isEmpty ? "" : parameterNames.joined(separator: ", ") + " (from `params:`), ")
            + Architecture.datasetNames.joined(separator: ", ") + " (from the dataset)"
        throw ZooError("unknown parameter `\(name)`", at: at(node),
                       hint: nearest(to: name, in: candidates).map { "did you mean `\($0)`? \(known)" }
                           ?? "\(known); declare new ones under `params:`")
    }
}
