/// The shape of one sample, without the batch: `[channels, height, width]` for images, `[features]` after `flatten`.
public struct Shape: Hashable, Sendable, Codable, CustomStringConvertible {
    public var dimensions: [Int]

    public init(_ dimensions: [Int]) { self.dimensions = dimensions }

    public var isImage: Bool { dimensions.count == 3 }
    public var isFlat: Bool { dimensions.count == 1 }
    /// Saturates at `Int.max` instead of overflowing, so an absurd shape fails a size check rather than trapping.
    public var elementCount: Int { saturatingProduct(dimensions) }

    /// Channels of an image, features of a flat sample.
    public var channels: Int { dimensions.first ?? 0 }
    public var height: Int { isImage ? dimensions[1] : 1 }
    public var width: Int { isImage ? dimensions[2] : 1 }

    /// "1x28x28", the way PyTorch users write shapes.
    public var description: String { dimensions.map(String.init).joined(separator: "x") }

    func withBatch(_ batchSize: Int) -> [Int] { [batchSize] + dimensions }
}
