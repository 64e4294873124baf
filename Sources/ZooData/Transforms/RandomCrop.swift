import ZooFoundation

/// `random_crop: {size, padding}`: zero-pad by `padding` on every side, then crop `size` x `size` at a
/// random place. A crop larger than the padded image takes all of it.
public struct RandomCrop: ImageTransform {
    public static let name = "random_crop"
    public static let codingName = "randomCrop"
    public static let summary = "random_crop: {size: the image's, padding: 0}"
    public var size: Int
    public var padding: Int

    public static func read(from dataset: any SettingsReader, imageHeight: Int) throws -> RandomCrop? {
        guard let settings = try dataset.section(name, allowed: ["size", "padding"], owner: "`\(name)`") else { return nil }
        let size = try settings.integer("size", default: imageHeight, atLeast: 1, atMost: maximumImageSide)
        return RandomCrop(size: size, padding: try settings.integer("padding", default: 0, atLeast: 0, atMost: maximumImageSide))
    }

    public var written: ArgumentValue { .mapping([("size", .int(size)), ("padding", .int(padding))]) }
    public var isDeterministic: Bool { false }
    public var sizes: [(what: String, value: Int)] { [("random_crop size", size), ("random_crop padding", padding)] }

    public func output(for input: ImageShape) -> ImageShape {
        let padding = max(padding, 0)
        return ImageShape(channels: input.channels, height: min(max(size, 1), input.height + 2 * padding),
                          width: min(max(size, 1), input.width + 2 * padding))
    }

    public func step(from input: ImageShape, to output: ImageShape) -> ImageStep {
        let padding = max(padding, 0)
        let (rowRange, columnRange) = (input.height + 2 * padding - output.height, input.width + 2 * padding - output.width)
        return { source, target, generator in
            let rowShift = generator.below(rowRange + 1) - padding
            let columnShift = generator.below(columnRange + 1) - padding
            shift(source, input, into: target, output, rowShift: rowShift, columnShift: columnShift)
        }
    }
}

extension Transform {
    public static func randomCrop(size: Int, padding: Int) -> Transform { Transform(RandomCrop(size: size, padding: padding)) }
}
