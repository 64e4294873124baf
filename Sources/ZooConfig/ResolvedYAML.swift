import Foundation
import Yams
import ZooCore
import ZooData

extension TrainingConfig {
    /// The config as YAML in the file format, every default spelled out: printed when training starts and
    /// saved as the run's `config.yaml`. `resolve(text: resolvedYAML, ...)` gives back an equal config.
    public var resolvedYAML: String { resolvedYAML(chosenLoss: nil) }

    /// `resolvedYAML` as printed when training starts: an unset loss shows as `chosenLoss`, the one the
    /// model's last layer chose, so the reader sees which loss is used rather than the rule.
    public func resolvedYAML(chosenLoss: Loss?) -> String {
        var model: Node = .scalar(self.model.represented())
        if !modelParameters.isEmpty {
            model = flowMapping([("name", model)] + modelParameters.sorted { $0.key < $1.key }.map { ($0.key, node($0.value)) })
        }
        var dataset: [(String, Node)] = [("name", .scalar(self.dataset.name.represented()))]
        if case .folder(let folder) = self.dataset {
            dataset.append(("path", .scalar(folder.path.represented())))
            if let size = folder.size { dataset.append(("size", .sequence(Node.Sequence(size.map { node(.int($0)) }, Tag(.seq), .flow)))) }
            if let channels = folder.channels { dataset.append(("channels", node(.int(channels)))) }
            dataset.append(("test_fraction", node(.double(folder.testFraction))))
        }
        dataset.append(("normalize", node(.bool(normalize))))
        if let dataDirectory { dataset.append(("data_dir", .scalar(dataDirectory.represented()))) }
        if let trainLimit { dataset.append(("train_limit", node(.int(trainLimit)))) }
        // Transforms apply in registry order, so listing them by key round-trips.
        dataset += transforms.map { ($0.name, node($0.settings.written)) }
        dataset += (batchMixing?.written ?? []).map { ($0.key, node($0.value)) }
        let optimizer = flowMapping([("name", .scalar(self.optimizer.name.rawValue.represented()))] + self.optimizer.settings.written.map { ($0.key, node($0.value)) })
        let scheduleSettings = schedule.settings.written + (schedule.perStep ? [("per_step", .bool(true))] : [])
        let schedule = scheduleSettings.isEmpty ? Node.scalar(self.schedule.name.represented())
            : flowMapping([("name", .scalar(self.schedule.name.represented()))] + scheduleSettings.map { ($0.key, node($0.value)) })
        let head: [(String, Node)] = [("name", .scalar(name.represented())), ("model", model), ("dataset", flowMapping(dataset)),
                                      ("optimizer", optimizer), ("schedule", schedule), ("epochs", node(.int(epochs))),
                                      ("batch_size", node(.int(batchSize))), ("seed", .scalar(seed.represented()))]
        let lossLine = lossWritten.map { serialized([("loss", $0)]) }
            ?? chosenLoss.map { "loss: \($0.rawValue)  # not set: \($0 == .nll ? "the model ends" : "for a model not ending") in log_softmax\n" }
            ?? "# loss: not set, so nll after log_softmax, else cross_entropy\n"
        var tail: [(String, Node)] = [("log_every", node(.int(logEvery)))]
        if let initFrom { tail.append(("init_from", .scalar(initFrom.represented()))) }
        if !freeze.isEmpty { tail.append(("freeze", node(.list(freeze.map(ArgumentValue.string))))) }
        if let testTimeAugmentation { tail.append(("tta", node(.list(testTimeAugmentation.views.map { .string($0.rawValue) })))) }
        // fp32, the default, is left out, so configs written before `precision` existed read the same.
        if precision != .fp32 { tail.append(("precision", .scalar(precision.rawValue.represented()))) }
        tail += validationWritten.map { ($0.key, node($0.value)) }
        if let replicas { tail.append(("replicas", node(.int(replicas)))) }
        return serialized(head) + lossLine + serialized(tail)
    }
}

private func flowMapping(_ entries: [(String, Node)]) -> Node {
    .mapping(Node.Mapping(entries.map { (Node($0.0), $0.1) }, .implicit, .flow))
}

/// A value as its type reads back (`n_feature: 12`, `lr: 0.1`); text is quoted as needed.
private func node(_ value: ArgumentValue) -> Node {
    switch value {
    // Swift's shortest round-tripping text (0.1, 1e-08) reads better than Yams' (1e-1).
    case .double(let number): return Node(number.description)
    case .int(let whole): return .scalar(whole.represented())
    case .bool(let flag): return .scalar(flag.represented())
    case .string(let text): return .scalar(text.represented())
    case .list(let elements): return .sequence(Node.Sequence(elements.map(node), .implicit, .flow))
    case .mapping(let entries): return flowMapping(entries.map { ($0.key, node($0.value)) })
    }
}

/// Block-style top-level lines, one per entry, in order.
private func serialized(_ entries: [(String, Node)]) -> String {
    let root = Node.mapping(Node.Mapping(entries.map { (Node($0.0), $0.1) }, .implicit, .block))
    // The emitter fails only on an ill-formed event stream, which a tree built from values cannot be.
    return try! Yams.serialize(node: root, width: -1, allowUnicode: true)
}
