// What ZooCore's forward hooks hand the prediction page: plain values, so ZooReport needs no oneDNN.

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
