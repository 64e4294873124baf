/// One layer with everything shape inference found out about it. `LayerParameter` is `ParameterSpec` (a name,
/// a shape and how to initialise it) before allocation and `Parameter` (values in oneDNN memory) after.
public struct LayerEntry<LayerParameter> {
    public let layer: any Layer
    public let description: LayerDescription
    /// The layer's full name (PyTorch-style, `layer1.0.conv1`), or its index when it has none: the prefix of its parameters.
    public let name: String
    /// The positions of the layers this one reads, in `from:` order; -1 is the network input.
    public let inputs: [Int]
    public let inputShapes: [Shape]
    public let outputShape: Shape
    public let multiplyAccumulates: Int
    public let parameters: [LayerParameter]

    public var inputShape: Shape { inputShapes[0] }

    func withParameters<Other>(_ parameters: [Other]) -> LayerEntry<Other> {
        LayerEntry<Other>(layer: layer, description: description, name: name, inputs: inputs, inputShapes: inputShapes,
                          outputShape: outputShape, multiplyAccumulates: multiplyAccumulates, parameters: parameters)
    }
}

/// A network's layers checked and shaped, without a device or a single parameter value: what `zoo summary`
/// shows (shapes, parameter counts, MACs, memory estimates) for any architecture, however large, and what
/// `Network` then allocates. Every check of an architecture's structure happens here.
public struct NetworkShapes {
    public let entries: [LayerEntry<ParameterSpec>]
    public let inputShape: Shape

    public var outputShape: Shape { entries[entries.count - 1].outputShape }

    public init(layers descriptions: [LayerDescription], inputShape: Shape) throws {
        try self.init(built: descriptions.map { ($0, try LayerRegistry.makeLayer($0)) }, inputShape: inputShape)
    }

    /// Layer names unique, `from:` references resolved, each layer's shape rule applied to its inputs, and
    /// every output but the last read by a later layer.
    public init(built layers: [(description: LayerDescription, layer: any Layer)], inputShape: Shape) throws {
        guard !layers.isEmpty else { throw ZooError("a network needs at least one layer") }
        let descriptions = layers.map(\.description)
        self.inputShape = inputShape
        let names = descriptions.enumerated().map { index, description in description.name ?? String(index) }
        var positions: [String: Int] = [:]
        for (index, description) in descriptions.enumerated() {
            if let earlier = positions[names[index]] {
                throw ZooError("two layers are named `\(names[index])`", at: description.location,
                               hint: "the first is at \(descriptions[earlier].location.map(String.init(describing:)) ?? "layer \(names[index])"); layer names must be unique")
            }
            positions[names[index]] = index
        }
        var entries: [LayerEntry<ParameterSpec>] = []
        for (index, (description, layer)) in layers.enumerated() {
            let inputs = try NetworkShapes.resolveInputs(of: description, at: index, names: names, positions: positions,
                                                         joins: type(of: layer).joinsInputs)
            let inputShapes = inputs.map { $0 < 0 ? inputShape : entries[$0].outputShape }
            let build: LayerBuild
            do {
                build = try layer.build(inputs: inputShapes)
            } catch let error as ZooError {
                let journey = inputs.count > 1
                    ? "its inputs are " + zip(inputs, inputShapes).map { input, shape in
                        input < 0 ? "the network input \(shape)" : "\(shape) from `\(names[input])` (\(descriptions[input].type)\(descriptions[input].location.map { " at line \($0.line)" } ?? ""))"
                    }.joined(separator: " and ")
                    : inputs[0] < 0 ? "its input is the network input \(inputShape)"
                    : "the network input \(inputShape) becomes \(inputShapes[0]) after layer \(names[inputs[0]]) (\(descriptions[inputs[0]].type))"
                throw ZooError("layer \(names[index]) (\(description.type)) \(error.message); \(journey)",
                               at: error.location ?? description.location, hint: error.hint)
            }
            entries.append(LayerEntry(layer: layer, description: description, name: names[index], inputs: inputs, inputShapes: inputShapes,
                                      outputShape: build.output, multiplyAccumulates: build.multiplyAccumulates, parameters: build.parameters))
        }
        let read = Set(entries.flatMap(\.inputs))
        for (index, entry) in entries.enumerated().dropLast() where !read.contains(index) {
            throw ZooError("the output of layer \(entry.name) (\(entry.description.type)) is never used", at: entry.description.location,
                           hint: "read it with `from: \(entry.name)` in a later layer, or remove the layer")
        }
        self.entries = entries
    }

    /// Every parameter and buffer under its PyTorch `state_dict` name, in module order.
    public var namedParameters: [(name: String, parameter: ParameterSpec)] {
        entries.flatMap { entry in entry.parameters.map { ("\(entry.name).\($0.name)", $0) } }
    }

    /// Trainable values, as PyTorch's `sum(p.numel() for p in model.parameters())` counts them.
    public var parameterCount: Int { entries.flatMap(\.parameters).filter(\.isTrainable).map(\.elementCount).reduce(0, saturatingSum) }

    public var multiplyAccumulates: Int { entries.map(\.multiplyAccumulates).reduce(0, saturatingSum) }

    /// `from:` resolved to positions: names of earlier layers, or offsets back from this layer.
    private static func resolveInputs(of description: LayerDescription, at index: Int, names: [String], positions: [String: Int],
                                      joins: Bool) throws -> [Int] {
        let type = description.type
        guard !description.inputs.isEmpty else {
            if joins {
                throw ZooError("\(type) joins two or more layers but has no `from:`", at: description.location,
                               hint: "list its inputs, for example `from: [-1, stem_relu]`")
            }
            return [index - 1]
        }
        if joins && description.inputs.count < 2 {
            throw ZooError("\(type) needs two or more inputs in `from:`, not \(description.inputs.count)",
                           at: description.inputs[0].location ?? description.location,
                           hint: "for example `from: [-1, stem_relu]`; a single input needs no \(type)")
        }
        if !joins && description.inputs.count > 1 {
            throw ZooError("\(type) takes one input, but `from:` lists \(description.inputs.count)",
                           at: description.inputs[1].location ?? description.location,
                           hint: "join several inputs first with `add` or `concat`")
        }
        return try description.inputs.map { input in
            let location = input.location ?? description.location
            switch input.reference {
            case .offset(let offset):
                guard offset < 0 else {
                    throw ZooError("`from: \(offset)` must be a negative offset (-1 is the layer just before) or a layer name", at: location,
                                   hint: "a layer can only read layers before it")
                }
                guard index + offset >= -1 else {
                    throw ZooError("`from: \(offset)` points before the first layer: this is layer \(index), so the furthest back is \(-(index + 1)) (the network input)",
                                   at: location)
                }
                return index + offset
            case .name(let name):
                guard let position = positions[name] else {
                    let earlier = Array(names[..<index])
                    throw ZooError("`from: \(name)` names no layer", at: location,
                                   hint: nearest(to: name, in: earlier).map { "did you mean `\($0)`?" }
                                       ?? (earlier.isEmpty ? "no layer comes before this one" : "earlier layers: " + earlier.suffix(8).joined(separator: ", ")))
                }
                guard position < index else {
                    throw ZooError(position == index ? "`from: \(name)` names the layer itself" : "`from: \(name)` names a later layer (layer \(position))",
                                   at: location, hint: "a layer can only read layers before it, so the graph has no cycles")
                }
                return position
            }
        }
    }
}
