import ZooFoundation

/// `translate: N`: shift by a random whole number of pixels from -N to N along each axis, filling with zeros.
public struct Translate: ImageTransform {
    public static let name = "translate"
    public static let summary = "translate: N (random shift by up to N pixels each axis, zero fill)"
    public var pixels: Int

    public static func read(from dataset: any SettingsReader, imageHeight: Int) throws -> Translate? {
        guard dataset.contains(name) else { return nil }
        return Translate(pixels: try dataset.integer(name, default: nil, atLeast: 1, atMost: maximumImageSide))
    }

    public var written: ArgumentValue { .int(pixels) }
    public var isDeterministic: Bool { false }
    public var sizes: [(what: String, value: Int)] { [("translate", pixels)] }

    public func output(for input: ImageShape) -> ImageShape { input }

    public func step(from input: ImageShape, to output: ImageShape) -> ImageStep {
        let pixels = max(pixels, 0)
        return { source, target, generator in
            let rowShift = generator.below(2 * pixels + 1) - pixels
            let columnShift = generator.below(2 * pixels + 1) - pixels
            shift(source, input, into: target, output, rowShift: rowShift, columnShift: columnShift)
        }
    }
}

extension Transform {
    public static func translate(_ pixels: Int) -> Transform { Transform(Translate(pixels: pixels)) }
}
