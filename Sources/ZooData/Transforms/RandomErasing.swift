import Foundation
import ZooFoundation

/// `random_erasing: {p, scale, ratio, value}`, torchvision's `RandomErasing`: with probability `p`, up to 10
/// tries at a rectangle of `scale` x the image's area and an aspect ratio drawn log-uniformly from `ratio`;
/// the first that fits inside the image is filled with `value` in every channel, else nothing is erased.
/// It works on pixels before normalisation, so `value` is a pixel value in [0, 1] (0 is black).
public struct RandomErasing: ImageTransform {
    public static let name = "random_erasing"
    public static let codingName = "randomErasing"
    public static let summary = "random_erasing: {p: 0.5, scale: [0.02, 0.33], ratio: [0.3, 3.3], value: 0}"
    public var probability: Double
    public var scale: [Double]
    public var ratio: [Double]
    public var value: Double

    public static func read(from dataset: any SettingsReader, imageHeight: Int) throws -> RandomErasing? {
        guard let settings = try dataset.section(name, allowed: ["p", "scale", "ratio", "value"], owner: "`\(name)`") else { return nil }
        func range(_ key: String, default value: [Double], _ requirement: String, _ isValid: (Double) -> Bool) throws -> [Double] {
            let values = try settings.numbers(key, requirement, isValid) ?? value
            guard values.count == 2, values[0] <= values[1] else {
                throw settings.fail("`\(settings.name(of: key))` must be two numbers, the smaller first, such as \(value)", at: key, hint: nil)
            }
            return values
        }
        return RandomErasing(probability: try settings.number("p", default: 0.5, "from 0 to 1") { (0...1).contains($0) },
                             scale: try range("scale", default: [0.02, 0.33], "from 0 to 1") { (0...1).contains($0) },
                             ratio: try range("ratio", default: [0.3, 3.3], "greater than 0") { $0 > 0 },
                             value: try settings.number("value", default: 0, "from 0 to 1") { (0...1).contains($0) })
    }

    public var written: ArgumentValue {
        .mapping([("p", .double(probability)), ("scale", .list(scale.map(ArgumentValue.double))),
                  ("ratio", .list(ratio.map(ArgumentValue.double))), ("value", .double(value))])
    }

    public var isDeterministic: Bool { false }

    public func output(for input: ImageShape) -> ImageShape { input }

    public func step(from input: ImageShape, to output: ImageShape) -> ImageStep {
        let fill = UInt8((min(max(value, 0), 1) * 255).rounded())
        return { [self] source, target, generator in
            _ = target.update(fromContentsOf: source)
            guard Double(generator.nextUnitFloat()) < probability, let box = rectangle(in: input, &generator) else { return }
            for channel in 0 ..< input.channels {
                for row in box.top ..< box.top + box.height {
                    let start = (channel * input.height + row) * input.width + box.left
                    for column in start ..< start + box.width { target[column] = fill }
                }
            }
        }
    }

    /// torchvision's `get_params`: Python's `round` is half to even. Sizes are compared as doubles first, so
    /// settings from a damaged checkpoint (NaN, infinite) try again instead of trapping.
    func rectangle(in image: ImageShape, _ generator: inout SeededRandom) -> (top: Int, left: Int, height: Int, width: Int)? {
        guard scale.count == 2, ratio.count == 2 else { return nil }
        let area = Double(image.pixelCount)
        let (logLow, logHigh) = (log(ratio[0]), log(ratio[1]))
        for _ in 0 ..< 10 {
            let erasedArea = area * (scale[0] + (scale[1] - scale[0]) * Double(generator.nextUnitFloat()))
            let aspect = exp(logLow + (logHigh - logLow) * Double(generator.nextUnitFloat()))
            let height = (erasedArea * aspect).squareRoot().rounded(.toNearestOrEven)
            let width = (erasedArea / aspect).squareRoot().rounded(.toNearestOrEven)
            guard height < Double(image.height), width < Double(image.width) else { continue }
            let (rows, columns) = (Int(height), Int(width))
            return (generator.below(image.height - rows + 1), generator.below(image.width - columns + 1), rows, columns)
        }
        return nil
    }
}

extension Transform {
    public static func randomErasing(p: Double = 0.5, scale: [Double] = [0.02, 0.33], ratio: [Double] = [0.3, 3.3], value: Double = 0) -> Transform {
        Transform(RandomErasing(probability: p, scale: scale, ratio: ratio, value: value))
    }
}
