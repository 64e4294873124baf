/// What a fused node runs on its output after its own operation, forward and backward. The fusion pass sets it;
/// the layer carries it out without knowing which layers it stands for.
enum Epilogue: Equatable, Sendable {
    case none
    /// The NaN-keeping ReLU of the `relu` layer; its backward masks the gradient by the output.
    case relu

    /// The oneDNN post-ops that apply it inside a primitive.
    func postOps() throws -> PostOps? {
        switch self {
        case .none: return nil
        case .relu: return try PostOps(relu: ())
        }
    }

    /// An output that is never negative: an int8 one can be unsigned, whose saturation at 0 then applies the epilogue.
    var isNonNegative: Bool { self == .relu }
}

extension PlanBuilder {
    /// The epilogue as a forward step of its own, in place, for a layer that cannot run it as a post-op.
    func forwardEpilogue(_ epilogue: Epilogue, inPlace memory: Memory) throws {
        switch epilogue {
        case .none: return
        case .relu: try reluInPlace(memory)
        }
    }

    /// The epilogue's backward: the gradient before it, from the output and the gradient after it, written into
    /// `inputGradient`; nothing for `.none` (the caller then uses the output gradient itself).
    func backwardEpilogue(_ epilogue: Epilogue, output: Memory, outputGradient: Memory, inputGradient: Memory) throws {
        switch epilogue {
        case .none: return
        case .relu: try reluBackwardFromOutput(output: output, outputGradient: outputGradient, inputGradient: inputGradient)
        }
    }

    /// The epilogue's backward into a new buffer, for a layer whose own backward then reads it; the output
    /// gradient itself for `.none`.
    func gradientBeforeEpilogue(_ epilogue: Epilogue, output: Memory, outputGradient: Memory) throws -> Memory {
        guard epilogue != .none else { return outputGradient }
        let beforeEpilogue = try memory(output.descriptor)
        try backwardEpilogue(epilogue, output: output, outputGradient: outputGradient, inputGradient: beforeEpilogue)
        return beforeEpilogue
    }
}

/// One node of the fused graph.
struct FusedNode: Equatable {
    /// The layers whose outputs are this node's output: its own layer first, then those fused into it (a folded batch
    /// norm, a ReLU it applies, or one moved after the pooling that reads it).
    var layers: [Int]
    /// What the node's layer runs after its own operation.
    var epilogue = Epilogue.none

    var layer: Int { layers[0] }
    /// The last layer the node stands for, whose readers read the node.
    var chainEnd: Int { layers[layers.count - 1] }
}

/// Which plans a fusion rule is for: float ones (fp32, bf16) or int8 ones.
enum FusionPlans: Sendable {
    case float
    case int8
    case all

    func contains(int8: Bool) -> Bool { self == .all || (self == .int8) == int8 }
}

/// One element of a fusion pattern: which nodes it matches, by their layer and what is fused into them so far.
struct NodePattern: Sendable {
    let matches: @Sendable (FusedNode, Network.Entry) -> Bool

    /// A node of one of these layer types with nothing fused after it.
    static func layer(_ types: any Layer.Type...) -> NodePattern {
        NodePattern { node, entry in
            node.layers.count == 1 && node.epilogue == .none && types.contains { ObjectIdentifier($0) == ObjectIdentifier(type(of: entry.layer)) }
        }
    }

    /// A conv or linear, its batch norm folded in (int8) or not, that has no epilogue yet.
    static let weighted = NodePattern { node, entry in node.epilogue == .none && (entry.layer is Conv2d || entry.layer is Linear) }
    static let relu = layer(ReLU.self)
    /// A residual join: oneDNN's binary add takes a post-op, its `sum` of more inputs none.
    static let twoInputAdd = NodePattern { node, entry in
        entry.layer is Add && entry.inputs.count == 2 && node.layers.count == 1 && node.epilogue == .none
    }
    static let reluEpilogue = NodePattern { node, _ in node.epilogue == .relu }
}

/// A fusion: a chain of nodes, each the only reader of the one before, rewritten into other nodes. A new fusion
/// is one entry in `FusionRule.all` (and, for a new epilogue, one case of `Epilogue`).
struct FusionRule: Sendable {
    let name: String
    let pattern: [NodePattern]
    let plans: FusionPlans
    /// Whether a captured layer in the chain stops the fusion (`Network.plan(capturing:)`): it would change what the
    /// capture sees.
    let stoppedByCapture: Bool
    /// The nodes that replace the matched ones, in order.
    let rewrite: @Sendable ([FusedNode]) -> [FusedNode]

    static let all: [FusionRule] = [
        // The int8 weights already hold the batch norm, so it folds whether or not a layer is captured.
        FusionRule(name: "batch norm folded into conv or linear", pattern: [.layer(Conv2d.self, Linear.self), .layer(BatchNorm.self)],
                   plans: .int8, stoppedByCapture: false) { nodes in
            [FusedNode(layers: nodes[0].layers + nodes[1].layers)]
        },
        FusionRule(name: "conv or linear + ReLU", pattern: [.weighted, .relu], plans: .all, stoppedByCapture: true) { nodes in
            [FusedNode(layers: nodes[0].layers + nodes[1].layers, epilogue: .relu)]
        },
        FusionRule(name: "add + ReLU", pattern: [.twoInputAdd, .relu], plans: .all, stoppedByCapture: true) { nodes in
            [FusedNode(layers: nodes[0].layers + nodes[1].layers, epilogue: .relu)]
        },
        // Batch norm runs the ReLU in place on its output (NaN kept, unlike oneDNN's dnnl_fuse_norm_relu); before
        // max pooling, the next rule moves it after the pooling. Float only: an int8 plan folds the batch norm.
        FusionRule(name: "batch norm + ReLU", pattern: [.layer(BatchNorm.self), .relu], plans: .float, stoppedByCapture: true) { nodes in
            [FusedNode(layers: nodes[0].layers + nodes[1].layers, epilogue: .relu)]
        },
        // relu(max(x)) = max(relu(x)), NaN included, and max pooling passes gradient only to each window's maximum,
        // where the ReLU mask is the pooled one: so the ReLU runs on the 4x smaller pooled values and gradient.
        // Not in int8, whose unsigned output already clips at 0.
        FusionRule(name: "ReLU moved after max pooling", pattern: [.reluEpilogue, .layer(MaxPool2d.self)], plans: .float,
                   stoppedByCapture: false) { nodes in
            [FusedNode(layers: nodes[0].layers), FusedNode(layers: nodes[1].layers, epilogue: .relu)]
        },
    ]
}

/// The fusion pass: applies each rule of `FusionRule.all` in turn over the whole graph, first match first.
struct FusionPass {
    let entries: [Network.Entry]
    /// Per producer (index + 1, so the network input is 0): the layers that read it.
    let readers: [[Int]]
    let int8: Bool
    /// Captured layers (see `FusionRule.stoppedByCapture`).
    let captured: Set<Int>

    func run(rules: [FusionRule] = FusionRule.all) -> [FusedNode] {
        var nodes = entries.indices.map { FusedNode(layers: [$0]) }
        for rule in rules where rule.plans.contains(int8: int8) {
            var start = 0
            while start < nodes.count {
                if let count = matchLength(rule, at: start, in: nodes) {
                    nodes.replaceSubrange(start..<start + count, with: rule.rewrite(Array(nodes[start..<start + count])))
                }
                start += 1
            }
        }
        return nodes
    }

    /// The number of nodes from `start` that match the rule's pattern, or nil.
    private func matchLength(_ rule: FusionRule, at start: Int, in nodes: [FusedNode]) -> Int? {
        guard start + rule.pattern.count <= nodes.count else { return nil }
        for (offset, element) in rule.pattern.enumerated() {
            let node = nodes[start + offset]
            guard element.matches(node, entries[node.layer]) else { return nil }
            if rule.stoppedByCapture && node.layers.contains(where: captured.contains) { return nil }
            // Each node after the first is the only reader of the one before, and comes right after it.
            if offset > 0 {
                let previous = nodes[start + offset - 1].chainEnd
                guard node.layer == previous + 1, readers[previous + 1] == [node.layer] else { return nil }
            }
        }
        return rule.pattern.count
    }
}
