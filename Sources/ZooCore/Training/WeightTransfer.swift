/// What starting a run from another checkpoint (`--init-from`) took from it, layer by layer.
public struct WeightTransfer {
    /// Layers every parameter and buffer of which came from the checkpoint.
    public var loaded: [String] = []
    /// Layers that kept their usual initialisation in whole or part, with why (absent, or another shape).
    public var notLoaded: [(layer: String, reason: String)] = []

    /// One line each for the loaded and the other layers, as `zoo train` prints them.
    public var lines: [String] {
        ["loaded: " + (loaded.isEmpty ? "none" : loaded.joined(separator: ", ")),
         "not loaded (usual initialisation): " + (notLoaded.isEmpty ? "none" : notLoaded.map { "\($0.layer) (\($0.reason))" }.joined(separator: ", "))]
    }
}

extension Checkpoint {
    /// Fine-tuning's start: every parameter and buffer whose name and shape match the checkpoint's is loaded;
    /// the rest keep the values the network was built with. The training step and optimizer state are not
    /// taken. Refuses a checkpoint of which nothing matches.
    public func loadMatching(into network: Network, path: String) throws -> WeightTransfer {
        var transfer = WeightTransfer()
        var matched: [(Parameter, SafetensorsTensor)] = []
        for entry in network.entries where !entry.parameters.isEmpty {
            var reasons: [String] = []
            for parameter in entry.parameters {
                let name = "\(entry.name).\(parameter.name)"
                guard let tensor = parameters[name] else {
                    reasons.append("no \(parameter.name) in the checkpoint")
                    continue
                }
                guard tensor.shape == parameter.shape else {
                    reasons.append("\(parameter.name) is \(tensor.shape) there, \(parameter.shape) here")
                    continue
                }
                matched.append((parameter, tensor))
            }
            if reasons.isEmpty {
                transfer.loaded.append(entry.name)
            } else {
                transfer.notLoaded.append((entry.name, reasons.joined(separator: "; ")))
            }
        }
        guard !matched.isEmpty else {
            let theirs = parameters.sorted { $0.key < $1.key }.prefix(6).map { "\($0.key) \($0.value.shape)" }
            let ours = network.namedParameters.prefix(6).map { "\($0.name) \($0.parameter.shape)" }
            throw ZooError("no tensor of the checkpoint matches the model by name and shape, so there is nothing to start from", place: path,
                           hint: "the checkpoint holds \(theirs.joined(separator: ", "))\(parameters.count > 6 ? ", ..." : ""); the model needs "
                               + "\(ours.joined(separator: ", ")), ...; start from a checkpoint of the same or a related architecture")
        }
        // Written only once the whole checkpoint was checked, so a refusal leaves the network as built.
        for (parameter, tensor) in matched { try parameter.write(try tensor.floats) }
        return transfer
    }
}
