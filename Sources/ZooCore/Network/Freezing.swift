/// Fine-tuning: parameters kept fixed while the rest train (`freeze:` in a training config).
extension Network {
    /// The `freeze:` entry that names every layer with parameters except the last one.
    public static let allButLast = "all_but_last"

    /// The layers with trainable parameters, in order, and whether they train (false once frozen).
    public var parameterLayers: [(name: String, trains: Bool)] {
        entries.filter { $0.parameters.contains(where: \.isTrainable) }
            .map { ($0.name, $0.parameters.contains(where: \.requiresGradient)) }
    }

    /// Freezes the parameters of the layers named in `selection`: full names (`conv1`, `layer1.0.conv1`), block
    /// names (`layer1` freezes every layer under it), or `all_but_last` alone. Frozen parameters get no
    /// gradient, so plans skip their backward weights (and backward data before the first layer that trains),
    /// optimizers keep no state for them, and batch norm among them normalises with its running statistics.
    /// Must come before the first plan. Returns the frozen layers' names.
    @discardableResult
    public func freeze(_ selection: [String]) throws -> [String] {
        guard !selection.isEmpty else { return [] }
        guard !hasPlans else { throw ZooError("layers can only be frozen before the network's first plan is compiled") }
        let chosen = try Network.layersToFreeze(selection, candidates: parameterLayers.map(\.name), layerNames: entries.map(\.name))
        for entry in entries where chosen.contains(entry.name) {
            for parameter in entry.parameters where parameter.isTrainable { parameter.freeze() }
        }
        return chosen
    }

    /// The layers `selection` names among `candidates` (the layers with trainable parameters, in order);
    /// `layerNames` tells a layer without parameters from a name that is no layer.
    static func layersToFreeze(_ selection: [String], candidates: [String], layerNames: [String]) throws -> [String] {
        guard !selection.isEmpty else { return [] }
        var chosen: Set<String> = []
        if selection == [Network.allButLast] {
            chosen = Set(candidates.dropLast())
        } else {
            for name in selection {
                if name == Network.allButLast {
                    throw ZooError("`\(Network.allButLast)` cannot be combined with layer names", hint: "write `freeze: \(Network.allButLast)` alone, or list the layers")
                }
                let matches = candidates.filter { $0 == name || $0.hasPrefix(name + ".") }
                guard !matches.isEmpty else {
                    throw ZooError(layerNames.contains(name) ? "`freeze: \(name)` names a layer without parameters" : "`freeze: \(name)` names no layer of the model",
                                   hint: nearest(to: name, in: candidates).map { "did you mean `\($0)`?" }
                                       ?? "layers with parameters: " + candidates.joined(separator: ", "))
                }
                chosen.formUnion(matches)
            }
        }
        guard chosen.count < candidates.count else {
            throw ZooError("`freeze` leaves no layer to train: it covers all of \(candidates.joined(separator: ", "))",
                           hint: "leave at least one layer out, for example with `freeze: \(Network.allButLast)`")
        }
        return candidates.filter(chosen.contains)
    }
}

extension NetworkShapes {
    /// The layers `freeze:` would keep fixed (see `Network.freeze`), without building the network.
    public func layersToFreeze(_ selection: [String]) throws -> [String] {
        try Network.layersToFreeze(selection, candidates: entries.filter { $0.parameters.contains(where: \.isTrainable) }.map(\.name),
                                   layerNames: entries.map(\.name))
    }
}
