import ZooFoundation

/// `permute_pixels: SEED`: reorder the H*W pixel positions by one fixed permutation drawn from the seed,
/// the same for every image (the course's "shuffled pixels" experiment).
public struct PermutePixels: ImageTransform {
    public static let name = "permute_pixels"
    public static let codingName = "permutePixels"
    public static let summary = "permute_pixels: SEED (one fixed pixel permutation)"
    public var seed: UInt64

    public static func read(from dataset: any SettingsReader, imageHeight: Int) throws -> PermutePixels? {
        guard dataset.contains(name) else { return nil }
        return PermutePixels(seed: UInt64(try dataset.integer(name, default: nil, atLeast: 0)))
    }

    public var written: ArgumentValue { .int(Int(seed)) }
    public var isDeterministic: Bool { true }

    public func output(for input: ImageShape) -> ImageShape { input }

    public func step(from input: ImageShape, to output: ImageShape) -> ImageStep {
        var generator = SeededRandom(keys: seed)
        let table = generator.permutation(of: input.pixelCount)
        return { source, target, _ in
            for channel in 0 ..< input.channels {
                let start = channel * input.pixelCount
                for position in 0 ..< input.pixelCount {
                    target[start + position] = source[start + Int(table[position])]
                }
            }
        }
    }
}

extension Transform {
    public static func permutePixels(seed: UInt64) -> Transform { Transform(PermutePixels(seed: seed)) }
}
