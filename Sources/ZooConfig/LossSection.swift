import Yams
import ZooCore

extension TrainingConfig {
    /// `loss: cross_entropy`, or `loss: {name: cross_entropy, label_smoothing: 0.1}` as
    /// `nn.CrossEntropyLoss(label_smoothing=0.1)`; only cross-entropy takes label smoothing, as in PyTorch.
    static func readLoss(_ field: ConfigField, _ reader: ConfigReader) throws -> (loss: Loss, labelSmoothing: Double) {
        guard case .mapping(let mapping) = field.node else { return (try reader.choice(field, what: "loss"), 0) }
        guard let nameNode = mapping.first(where: { $0.key.string == "name" })?.value else {
            throw reader.fail("`loss` needs a `name`", at: field, hint: "e.g. `{name: cross_entropy, label_smoothing: 0.1}`")
        }
        let loss: Loss = try reader.choice(field.child("name", nameNode), what: "loss")
        let settings = try SectionReader(reader, field, allowed: ["name", "label_smoothing"], owner: "the \(loss.rawValue) loss")
        let labelSmoothing = try settings.number("label_smoothing", default: 0, "from 0 to 1") { (0...1).contains($0) }
        if labelSmoothing > 0, loss != .crossEntropy {
            throw settings.fail("only `cross_entropy` takes `label_smoothing`, not `\(loss.rawValue)`", at: "label_smoothing",
                                hint: "write `loss: {name: cross_entropy, label_smoothing: \(labelSmoothing)}`, or remove `label_smoothing`")
        }
        return (loss, labelSmoothing)
    }

    /// The `loss:` line of the resolved config.
    var lossWritten: Node? {
        guard let loss else { return nil }
        guard labelSmoothing > 0 else { return .scalar(loss.rawValue.represented()) }
        return .mapping(Node.Mapping([(Node("name"), .scalar(loss.rawValue.represented())),
                                      (Node("label_smoothing"), Node(labelSmoothing.description))], .implicit, .flow))
    }
}
