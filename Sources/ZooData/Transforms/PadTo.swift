import ZooFoundation

/// `pad_to: N`: zero-pad, centred, to at least N x N (LeNet's 32x32 input from 28x28 digits).
public struct PadTo: ImageTransform {
    public static let name = "pad_to"
    public static let codingName = "padTo"
    public static let summary = "pad_to: N (zero-pad, centred, to N x N)"
    public var size: Int

    enum CodingKeys: String, CodingKey { case size = "_0" }

    public static func read(from dataset: any SettingsReader, imageHeight: Int) throws -> PadTo? {
        guard dataset.contains(name) else { return nil }
        return PadTo(size: try dataset.integer(name, default: nil, atLeast: 1, atMost: maximumImageSide))
    }

    public var written: ArgumentValue { .int(size) }
    public var sizes: [(what: String, value: Int)] { [("pad_to size", size)] }
    public var isDeterministic: Bool { true }

    public func output(for input: ImageShape) -> ImageShape {
        ImageShape(channels: input.channels, height: max(input.height, size), width: max(input.width, size))
    }

    public func step(from input: ImageShape, to output: ImageShape) -> ImageStep {
        let (rowShift, columnShift) = (-(output.height - input.height) / 2, -(output.width - input.width) / 2)
        return { source, target, _ in shift(source, input, into: target, output, rowShift: rowShift, columnShift: columnShift) }
    }
}

extension Transform {
    public static func padTo(_ size: Int) -> Transform { Transform(PadTo(size: size)) }
}
