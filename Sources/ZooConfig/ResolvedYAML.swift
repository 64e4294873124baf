import Foundation
import Yams
import ZooCore
import ZooData

extension TrainingConfig {
    /// The config as YAML in the file format, every default spelled out: printed when training starts and
    /// saved as the run's `config.yaml`. `resolve(text: resolvedYAML, ...)` gives back an equal config.
    public var resolvedYAML: String {
        var model: Node = .scalar(self.model.represented())
        if !modelParameters.isEmpty {
            model = flowMapping([("name", model)] + modelParameters.sorted { $0.key < $1.key }.map { ($0.key, node($0.value)) })
        }
        var dataset: [(String, Node)] = [("name", .scalar(self.dataset.rawValue.represented())), ("normalize", node(.bool(normalize)))]
        if let dataDirectory { dataset.append(("data_dir", .scalar(dataDirectory.represented()))) }
        // Transforms apply in registry order, so listing them by key round-trips.
        dataset += transforms.map { ($0.name, node($0.settings.written)) }
        let optimizer = flowMapping([("name", .scalar(self.optimizer.name.rawValue.represented()))] + self.optimizer.settings.written.map { ($0.key, node($0.value)) })
        let scheduleSettings = schedule.settings.written
        let schedule = scheduleSettings.isEmpty ? Node.scalar(self.schedule.name.represented())
            : flowMapping([("name", .scalar(self.schedule.name.represented()))] + scheduleSettings.map { ($0.key, node($0.value)) })
        let head: [(String, Node)] = [("name", .scalar(name.represented())), ("model", model), ("dataset", flowMapping(dataset)),
                                      ("optimizer", optimizer), ("schedule", schedule), ("epochs", node(.int(epochs))),
                                      ("batch_size", node(.int(batchSize))), ("seed", .scalar(seed.represented()))]
        let lossLine = loss.map { serialized([("loss", .scalar($0.rawValue.represented()))]) }
            ?? "# loss: not set, so nll after log_softmax, else cross_entropy\n"
        // fp32, the default, is left out, so configs written before `precision` existed read the same.
        let precisionLine = precision == .fp32 ? "" : serialized([("precision", .scalar(precision.rawValue.represented()))])
        return serialized(head) + lossLine + serialized([("log_every", node(.int(logEvery)))]) + precisionLine
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
