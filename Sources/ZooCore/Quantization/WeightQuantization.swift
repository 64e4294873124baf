/// A conv's or linear's float32 weights (PyTorch's order, output channel first) and bias (zeros for a layer without one).
public struct WeightsAndBias: Equatable, Sendable {
    public var weights: [Float]
    public var bias: [Float]

    public init(weights: [Float], bias: [Float]) {
        self.weights = weights
        self.bias = bias
    }

    var outputChannels: Int { bias.count }
    var weightsPerChannel: Int { bias.isEmpty ? 0 : weights.count / bias.count }

    /// The batch norm after the layer (inference form, running statistics) folded in: per output channel c,
    /// gamma (w x + b - mean) / sqrt(var + eps) + beta = (w f) x + ((b - mean) f + beta), with f = gamma / sqrt(var + eps).
    public func foldingBatchNorm(scale: [Float], shift: [Float], mean: [Float], variance: [Float], epsilon: Float) -> WeightsAndBias {
        let perChannel = weightsPerChannel
        var folded = self
        for channel in 0..<outputChannels {
            let factor = scale[channel] / (variance[channel] + epsilon).squareRoot()
            for index in channel * perChannel..<(channel + 1) * perChannel { folded.weights[index] *= factor }
            folded.bias[channel] = (bias[channel] - mean[channel]) * factor + shift[channel]
        }
        return folded
    }

    /// Symmetric int8 weights, one scale per output channel: scale = max |w| / 127 and q = round(w / scale),
    /// so each channel's largest weight is exactly ±127 and zero stays zero. The bias stays float32.
    public func quantizedPerChannel() -> QuantizedWeights {
        let perChannel = weightsPerChannel
        var values = [Int8](repeating: 0, count: weights.count)
        var scales = [Float](repeating: 1, count: outputChannels)
        for channel in 0..<outputChannels {
            let range = channel * perChannel..<(channel + 1) * perChannel
            let largest = weights[range].map(abs).max() ?? 0
            // An all-zero channel quantizes to zeros under any scale.
            guard largest > 0 else { continue }
            scales[channel] = largest / 127
            for index in range { values[index] = Int8(max(-127, min(127, (weights[index] / scales[channel]).rounded()))) }
        }
        return QuantizedWeights(values: values, scales: scales, bias: bias)
    }
}

/// A layer's int8 weights with their per-output-channel scales (weight = scale x value) and float32 bias.
public struct QuantizedWeights: Equatable, Sendable {
    public var values: [Int8]
    public var scales: [Float]
    public var bias: [Float]

    /// The float weights these stand for.
    public var dequantized: [Float] {
        let perChannel = scales.isEmpty ? 0 : values.count / scales.count
        return values.enumerated().map { Float($1) * scales[$0 / perChannel] }
    }
}
