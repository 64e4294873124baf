/// One layer's output for a batch, as a PyTorch forward hook on that module records it in `model.eval()`.
public struct LayerOutput: Sendable {
    public let name: String
    /// The layer's type, as YAML names it (`conv2d`, `maxpool2d`).
    public let type: String
    /// `[batch, channels, height, width]`, or `[batch, features]` after `flatten`.
    public let shape: [Int]
    /// Row-major float32, in `shape`'s order.
    public let values: [Float]

    public init(name: String, type: String, shape: [Int], values: [Float]) {
        (self.name, self.type, self.shape, self.values) = (name, type, shape, values)
    }

    /// One image's values (channels x height x width, or its features).
    public func sample(_ index: Int) -> ArraySlice<Float> {
        let size = values.count / max(shape.first ?? 1, 1)
        return values[(index * size)..<((index + 1) * size)]
    }
}

extension Network {
    /// Forward hooks: runs `count` images (NCHW float32, normalised as the network's input) through an inference plan
    /// and returns the network's outputs (`[count, outputs]` row-major) and the outputs of the layers named, in network
    /// order. A conv's output is before the ReLU after it, as `nn.Conv2d`'s is (see `plan(capturing:)`).
    public func forward(images: UnsafeBufferPointer<Float>, count: Int, capturing layerNames: [String]) throws
        -> (outputs: [Float], layers: [LayerOutput]) {
        let plan = try plan(batchSize: count, training: false, capturing: layerNames)
        try plan.load(images: images)
        try plan.forward()
        let kinds = Dictionary(entries.map { ($0.name, $0.description.type) }, uniquingKeysWith: { first, _ in first })
        let layers = try plan.capturedLayerNames.map { name in
            try plan.withCapturedOutput(of: name) { shape, values in
                LayerOutput(name: name, type: kinds[name] ?? "", shape: shape, values: Array(values))
            }
        }
        return (plan.withOutput { Array($0) }, layers)
    }
}
