/// Resizing as Pillow's `Image.resize` does it, to the bit: a separable filter, horizontal pass then vertical,
/// with Pillow's 22-bit fixed-point weights and rounding. Each axis that shrinks uses the box filter (area
/// averaging, `Image.BOX`), each that grows the triangle filter (`Image.BILINEAR`). Forty lines of our own match
/// PIL exactly, which stb_image_resize (different filters and rounding) would not.
extension DecodedImage {
    public func resized(height outputHeight: Int, width outputWidth: Int) -> DecodedImage {
        var image = self
        if outputWidth != width {
            image = image.resampled(axis: .horizontal, to: outputWidth)
        }
        if outputHeight != height {
            image = image.resampled(axis: .vertical, to: outputHeight)
        }
        return image
    }

    private enum Axis { case horizontal, vertical }

    private static let precisionBits = 22

    /// For each output position: the first input position and the fixed-point weights, as Pillow's `precompute_coeffs`.
    private static func coefficients(inputSize: Int, outputSize: Int) -> [(start: Int, weights: [Int32])] {
        let scale = Double(inputSize) / Double(outputSize)
        let shrinking = scale > 1
        let filterScale = max(scale, 1)
        let support = (shrinking ? 0.5 : 1.0) * filterScale
        func filter(_ x: Double) -> Double {
            shrinking ? (x > -0.5 && x <= 0.5 ? 1 : 0) : max(1 - abs(x), 0)
        }
        return (0..<outputSize).map { position in
            let center = (Double(position) + 0.5) * scale
            let start = max(Int(center - support + 0.5), 0)
            let end = min(Int(center + support + 0.5), inputSize)
            let weights = (start..<end).map { filter((Double($0) - center + 0.5) / filterScale) }
            let total = weights.reduce(0, +)
            return (start, weights.map { weight in
                let scaled = (total == 0 ? weight : weight / total) * Double(1 << precisionBits)
                return Int32(scaled < 0 ? scaled - 0.5 : scaled + 0.5)
            })
        }
    }

    private func resampled(axis: Axis, to outputSize: Int) -> DecodedImage {
        let horizontal = axis == .horizontal
        let inputSize = horizontal ? width : height
        let (outputWidth, outputHeight) = horizontal ? (outputSize, height) : (width, outputSize)
        let kernel = Self.coefficients(inputSize: inputSize, outputSize: outputSize)
        // Distance between neighbours along the axis, and between lines across it.
        let step = horizontal ? channels : width * channels
        var output = [UInt8](repeating: 0, count: outputWidth * outputHeight * channels)
        let lines = horizontal ? height : width
        let lineStride = horizontal ? width * channels : channels
        let outputStep = horizontal ? channels : outputWidth * channels
        let outputLineStride = horizontal ? outputWidth * channels : channels
        pixels.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { output in
                for line in 0..<lines {
                    for (position, (start, weights)) in kernel.enumerated() {
                        for channel in 0..<channels {
                            var sum: Int64 = 1 << (Self.precisionBits - 1)
                            var index = line * lineStride + start * step + channel
                            for weight in weights {
                                sum += Int64(input[index]) * Int64(weight)
                                index += step
                            }
                            output[line * outputLineStride + position * outputStep + channel] = UInt8(clamping: sum >> Self.precisionBits)
                        }
                    }
                }
            }
        }
        return DecodedImage(width: outputWidth, height: outputHeight, channels: channels, pixels: output)
    }
}
