import ZooFoundation

/// `hflip: true`: mirror left-right with probability 0.5.
public struct HorizontalFlip: ImageTransform {
    public static let name = "hflip"
    public static let codingName = "horizontalFlip"
    public static let summary = "hflip: true (mirror left-right half the time)"

    public static func read(from dataset: any SettingsReader, imageHeight: Int) throws -> HorizontalFlip? {
        try dataset.flag(name, default: false) ? HorizontalFlip() : nil
    }

    public var written: ArgumentValue { .bool(true) }
    public var isDeterministic: Bool { false }

    public func output(for input: ImageShape) -> ImageShape { input }

    public func step(from input: ImageShape, to output: ImageShape) -> ImageStep {
        { source, target, generator in
            let flip = generator.next() & 1 == 1
            for row in 0 ..< input.channels * input.height {
                let start = row * input.width
                for column in 0 ..< input.width {
                    target[start + column] = source[start + (flip ? input.width - 1 - column : column)]
                }
            }
        }
    }
}

extension Transform {
    public static var horizontalFlip: Transform { Transform(HorizontalFlip()) }
}
