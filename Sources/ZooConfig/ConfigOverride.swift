import Foundation
import Yams
import ZooCore

/// One `--set key.path=value`, or a flag such as `--dataset fmnist` that sets a key. The value is YAML, laid
/// over the config tree before it is read, so it gets the same checks as the file; its nodes carry no mark,
/// so errors name the override as the user typed it instead of a line.
public struct ConfigOverride {
    let text: String
    let path: [String]
    let value: Node
    /// What the user typed: `--set optimizer.lr=0.1`, or the flag (`--dataset fmnist`).
    public let place: String

    /// `text` is `key.path=value`; `typed` is the flag it came from, when not `--set`.
    public init(_ text: String, typed: String? = nil) throws {
        let place = typed ?? "--set \(text)"
        self.place = place
        guard let equals = text.firstIndex(of: "=") else {
            throw ZooError("a setting must have the form `key=value`", place: place, hint: "for example `--set optimizer.lr=0.05`")
        }
        let keys = text[..<equals].trimmingCharacters(in: .whitespaces).split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if let bad = keys.first(where: { !Expression.isIdentifier($0) }) {
            throw ZooError("`\(bad)` is not a key; the part before `=` is a dotted key path", place: place,
                           hint: "for example `--set optimizer.lr=0.05` or `--set epochs=3`")
        }
        let valueText = String(text[text.index(after: equals)...])
        do {
            value = try YAMLLoader.load(text: valueText, file: place).map(unmarked) ?? Node("~")
        } catch let failure as ZooError {
            throw ZooError(failure.message, place: place, hint: failure.hint)
        }
        self.text = text
        path = keys
    }

    /// `model: PATH` for an architecture file given where a training config was expected.
    init(model path: String) {
        text = "model=\(path)"
        self.path = ["model"]
        value = Node(path)
        place = path
    }

    /// The tree with this override laid over it.
    func apply(to tree: Node) -> Node {
        let nested = path.dropFirst().reversed().reduce(value) { inner, key in Node([(Node(key), inner)]) }
        return overlay(Node([(Node(path[0]), nested)]), on: tree, path: [])
    }
}

private func unmarked(_ node: Node) -> Node {
    switch node {
    case .scalar(var scalar):
        scalar.mark = nil
        return .scalar(scalar)
    case .mapping(let mapping):
        return .mapping(Node.Mapping(mapping.map { (unmarked($0.key), unmarked($0.value)) }, mapping.tag, mapping.style))
    case .sequence(let sequence):
        return .sequence(Node.Sequence(sequence.map(unmarked), sequence.tag, sequence.style))
    case .alias:
        return node
    }
}

/// `value` laid over `base`, as `--set` and a compare file's `defaults:` do. Mappings merge key by key,
/// `value` winning. In a named section (`model`, `dataset`, `optimizer`, `schedule`), a bare name over a
/// mapping replaces its `name` and keeps only the settings the new name takes (`optimizer: adam` over
/// `{name: sgd, lr: 0.1, momentum: 0.9}` gives `{name: adam, lr: 0.1}`), and a mapping over a bare name extends it.
func overlay(_ value: Node, on base: Node?, path: [String]) -> Node {
    guard let base else { return value }
    let section = path.count == 1 && TrainingConfig.namedSections.contains(path[0]) ? path[0] : nil
    switch (base, value) {
    case (.mapping(let lower), .mapping(let upper)):
        var pairs = lower.map { (key: $0.key, value: $0.value) }
        for (key, node) in upper {
            if let index = pairs.firstIndex(where: { $0.key.string == key.string }) {
                pairs[index].value = overlay(node, on: pairs[index].value, path: path + [key.string ?? ""])
            } else {
                pairs.append((key, node))
            }
        }
        return .mapping(Node.Mapping(pairs.map { ($0.key, $0.value) }, lower.tag, lower.style, lower.mark))
    case (.scalar(let name), .mapping) where section != nil && !isNull(base):
        return overlay(value, on: .mapping(Node.Mapping([(.scalar(Node.Scalar("name", .implicit, .any, name.mark)), base)],
                                                        .implicit, .any, name.mark)), path: path)
    case (.mapping(let settings), .scalar) where section != nil && !isNull(value):
        let nameEntry = settings.first { $0.key.string == "name" }
        let newName = value.string ?? ""
        let kept = settings.filter {
            $0.key.string != "name"
                && TrainingConfig.keepsSetting($0.key.string ?? "", of: section ?? "", from: nameEntry?.value.string, to: newName)
        }
        return .mapping(Node.Mapping([(nameEntry?.key ?? Node("name"), value)] + kept.map { ($0.key, $0.value) },
                                     settings.tag, settings.style, settings.mark))
    default:
        return value
    }
}
