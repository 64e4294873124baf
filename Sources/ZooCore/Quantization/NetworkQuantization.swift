/// What an int8 plan needs beyond the float32 parameters: every conv's and linear's int8 weights (batch norm
/// folded in where the int8 graph pass folds it), and the calibrated range of every activation, from which
/// the plan derives each int8 activation's type and scale. A checkpoint stores it under `int8.`.
public struct NetworkQuantization: Sendable {
    public static let tensorPrefix = "int8."
    /// The network input first, then each layer's output.
    public let ranges: [ActivationRange]
    /// By layer name.
    public let weights: [String: QuantizedWeights]

    /// Folds and quantizes `network`'s current weights; `ranges` come from `Network.calibrate`.
    public init(network: Network, ranges: [ActivationRange]) throws {
        guard ranges.count == network.entries.count + 1 else {
            throw ZooError("calibration gave \(ranges.count) ranges for a network of \(network.entries.count) layers")
        }
        self.ranges = ranges
        var weights: [String: QuantizedWeights] = [:]
        for (index, entry) in network.entries.enumerated() where entry.layer is Conv2d || entry.layer is Linear {
            weights[entry.name] = try Self.foldedWeights(of: index, in: network).quantizedPerChannel()
        }
        self.weights = weights
    }

    /// A layer's float weights and bias, with the batch norm after it folded in when the int8 plan folds it.
    static func foldedWeights(of index: Int, in network: Network) throws -> WeightsAndBias {
        let entry = network.entries[index]
        func values(_ entry: Network.Entry, _ name: String) throws -> [Float]? {
            try entry.parameters.first { $0.name == name }?.read()
        }
        guard let weights = try values(entry, "weight") else { throw ZooError("layer \(entry.name) has no weights to quantize") }
        let outputChannels = entry.parameters.first { $0.name == "weight" }?.shape.first ?? 0
        let layer = WeightsAndBias(weights: weights, bias: try values(entry, "bias") ?? Array(repeating: 0, count: outputChannels))
        guard Graph.foldsBatchNorm(network.entries, producer: index, reader: index + 1),
              let norm = network.entries[index + 1].layer as? BatchNorm else { return layer }
        let next = network.entries[index + 1]
        guard let scale = try values(next, "weight"), let shift = try values(next, "bias"), let mean = try values(next, "running_mean"),
              let variance = try values(next, "running_var") else { throw ZooError("layer \(next.name) lacks batch-norm parameters") }
        return layer.foldingBatchNorm(scale: scale, shift: shift, mean: mean, variance: variance, epsilon: norm.epsilon)
    }

    /// The stored form: per layer `int8.NAME.weight` (I8, the layer's weight shape), `.weight_scale` and `.bias`
    /// (F32, one per output channel); `int8.activation_ranges` (F32, [layers + 1, 2]: minimum, maximum).
    public var tensors: [String: SafetensorsTensor] {
        var tensors = ["\(Self.tensorPrefix)activation_ranges": SafetensorsTensor(floats: ranges.flatMap { [$0.minimum, $0.maximum] },
                                                                                     shape: [ranges.count, 2])]
        for (name, layer) in weights {
            let prefix = "\(Self.tensorPrefix)\(name)."
            tensors[prefix + "weight"] = SafetensorsTensor(int8s: layer.values, shape: [layer.scales.count, layer.values.count / max(layer.scales.count, 1)])
            tensors[prefix + "weight_scale"] = SafetensorsTensor(floats: layer.scales, shape: [layer.scales.count])
            tensors[prefix + "bias"] = SafetensorsTensor(floats: layer.bias, shape: [layer.bias.count])
        }
        return tensors
    }

    /// Reads the stored form back for `network`, checking every tensor's presence, type and size.
    public init(tensors: [String: SafetensorsTensor], network: Network, place: String) throws {
        func tensor(_ name: String, dtype: String, count: Int) throws -> SafetensorsTensor {
            let key = Self.tensorPrefix + name
            guard let tensor = tensors[key], tensor.dtype == dtype, tensor.shape.reduce(1, *) == count else {
                throw ZooError("the int8 tensor `\(key)` is missing or is not \(dtype) with \(count) values", place: place,
                               hint: "the checkpoint was damaged or edited, or quantized from another model; run `zoo quantize` again")
            }
            return tensor
        }
        let count = network.entries.count + 1
        let bounds = try tensor("activation_ranges", dtype: "F32", count: count * 2).floats
        ranges = (0..<count).map { ActivationRange(minimum: bounds[2 * $0], maximum: bounds[2 * $0 + 1]) }
        if let bad = ranges.firstIndex(where: { !($0.minimum <= $0.maximum) || !$0.minimum.isFinite || !$0.maximum.isFinite }) {
            throw ZooError("int8 activation range \(bad) is not a finite interval", place: place,
                           hint: "the checkpoint was damaged or edited; run `zoo quantize` again")
        }
        var weights: [String: QuantizedWeights] = [:]
        for entry in network.entries where entry.layer is Conv2d || entry.layer is Linear {
            guard let shape = entry.parameters.first(where: { $0.name == "weight" })?.shape, let outputs = shape.first else { continue }
            let values = try tensor("\(entry.name).weight", dtype: "I8", count: shape.reduce(1, *)).int8s
            let scales = try tensor("\(entry.name).weight_scale", dtype: "F32", count: outputs).floats
            let bias = try tensor("\(entry.name).bias", dtype: "F32", count: outputs).floats
            guard scales.allSatisfy({ $0 > 0 && $0.isFinite }), bias.allSatisfy(\.isFinite) else {
                throw ZooError("the int8 scales or bias of layer \(entry.name) are not finite positive numbers", place: place,
                               hint: "the checkpoint was damaged or edited; run `zoo quantize` again")
            }
            weights[entry.name] = QuantizedWeights(values: values, scales: scales, bias: bias)
        }
        self.weights = weights
    }

    /// The range of `producer`'s output (-1: the network input).
    func range(ofOutputOf producer: Int) -> ActivationRange { ranges[producer + 1] }
}
