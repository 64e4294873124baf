import Foundation

/// MixUp and CutMix of training batches, as torchvision.transforms.v2 `MixUp` and `CutMix` (under
/// `RandomChoice` when both are on: CutMix with probability `switchProbability`). Each image is mixed with
/// the one before it in the batch (the first with the last: `roll(1)`), with λ ~ Beta(α, α); CutMix pastes a
/// box of the other image instead and takes λ as the share of the image left. The loss scores λ on each
/// image's label and 1 - λ on the other's.
public struct BatchMixing: Sendable, Equatable {
    public var mixupAlpha: Double?
    public var cutmixAlpha: Double?
    /// The chance of CutMix for a batch when both are on.
    public var switchProbability: Double

    public init(mixupAlpha: Double?, cutmixAlpha: Double?, switchProbability: Double = 0.5) {
        self.mixupAlpha = mixupAlpha
        self.cutmixAlpha = cutmixAlpha
        self.switchProbability = switchProbability
    }

    /// Mixes `images` (`labels.count` images of `shape`, [channels, height, width] or [features]) in place,
    /// writes each image's partner label and returns λ.
    public func mix(_ images: UnsafeMutableBufferPointer<Float>, labels: UnsafeBufferPointer<Int32>, partners: UnsafeMutableBufferPointer<Int32>,
                    shape: Shape, random: inout SeededRandom) -> Double {
        let count = labels.count
        for index in 0..<count { partners[index] = labels[(index + count - 1) % count] }
        let useCutMix: Bool
        switch (mixupAlpha, cutmixAlpha) {
        case (_?, _?): useCutMix = random.nextUnitDouble() < switchProbability
        case (nil, _?): useCutMix = true
        default: useCutMix = false
        }
        guard let alpha = useCutMix ? cutmixAlpha : mixupAlpha else { return 1 }
        let lambda = random.beta(alpha)
        let dimensions = shape.dimensions
        let (channels, height, width) = dimensions.count == 3 ? (dimensions[0], dimensions[1], dimensions[2]) : (1, 1, shape.elementCount)
        let size = channels * height * width
        guard useCutMix else {
            // Backwards, so each image's predecessor is still unmixed; the last is kept for the first.
            let last = Array(images[((count - 1) * size)..<(count * size)])
            for image in stride(from: count - 1, through: 0, by: -1) {
                for offset in 0..<size {
                    let other = image > 0 ? images[(image - 1) * size + offset] : last[offset]
                    images[image * size + offset] = Float(lambda) * images[image * size + offset] + Float(1 - lambda) * other
                }
            }
            return lambda
        }
        let (centreX, centreY) = (random.below(width), random.below(height))
        let half = 0.5 * (1 - lambda).squareRoot()
        let (halfWidth, halfHeight) = (Int(half * Double(width)), Int(half * Double(height)))
        let (left, top) = (max(centreX - halfWidth, 0), max(centreY - halfHeight, 0))
        let (right, bottom) = (min(centreX + halfWidth, width), min(centreY + halfHeight, height))
        let last = Array(images[((count - 1) * size)..<(count * size)])
        for image in stride(from: count - 1, through: 0, by: -1) {
            for channel in 0..<channels {
                for row in top..<bottom {
                    for column in left..<right {
                        let offset = (channel * height + row) * width + column
                        images[image * size + offset] = image > 0 ? images[(image - 1) * size + offset] : last[offset]
                    }
                }
            }
        }
        return 1 - Double((right - left) * (bottom - top)) / Double(width * height)
    }
}

extension SeededRandom {
    /// Beta(α, α) as X / (X + Y) of two Gamma(α) draws.
    mutating func beta(_ alpha: Double) -> Double {
        let first = gamma(alpha)
        let sum = first + gamma(alpha)
        return sum > 0 ? first / sum : 0.5
    }

    /// Marsaglia and Tsang's Gamma(shape, 1); below shape 1, Gamma(shape + 1) x U^(1/shape).
    mutating func gamma(_ shape: Double) -> Double {
        if shape < 1 { return gamma(shape + 1) * pow(nextUnitDouble(), 1 / shape) }
        let d = shape - 1.0 / 3
        let c = 1 / (9 * d).squareRoot()
        while true {
            // A standard normal by Box-Muller.
            let normal = (-2 * log(1 - nextUnitDouble())).squareRoot() * cos(2 * Double.pi * nextUnitDouble())
            let v = pow(1 + c * normal, 3)
            guard v > 0 else { continue }
            let u = nextUnitDouble()
            if log(u) < 0.5 * normal * normal + d - d * v + d * log(v) { return d * v }
        }
    }
}
