import CDNNL

/// A quantized network's int8 plan as ONNX in QDQ form, layer by layer as `Int8Planning` compiles it: each conv's
/// and linear's int8 weights a UINT8 initializer (zero point 128) with per-output-channel scales (axis 0) through DequantizeLinear, the
/// bias (batch norm folded in) float32; each int8 activation a QuantizeLinear-DequantizeLinear pair with the
/// calibrated scale, zero point 0, uint8 after a ReLU, else int8. Every ONNX value stays float32; `formats` says
/// which stand for int8 values.
struct ONNXInt8Writer {
    private let planning: Int8Planning
    /// Per layer, the type and scale of its int8 output; nil where it is float32.
    private var formats: [(dataType: dnnl_data_type_t, scale: Float)?] = []

    init(network: Network, quantization: NetworkQuantization) throws {
        planning = Int8Planning(entries: network.entries, quantization: quantization, graph: Graph(network.entries, int8: true))
    }

    /// Writes layer `index` reading `inputs` and returns its output's name. A folded batch norm or fused ReLU
    /// passes on its chain's output, which the chain's first layer already wrote.
    mutating func export(_ index: Int, inputs: [String], _ graph: inout ONNXGraph) throws -> String {
        let entry = planning.entries[index]
        let node = planning.graph.node(containing: index)
        if node.layer != index {
            formats.append(formats[index - 1])
            return inputs[0]
        }
        let inputFormats = entry.inputs.map { $0 < 0 ? nil : formats[$0] }
        var output: String
        var format: (dataType: dnnl_data_type_t, scale: Float)?
        switch planning.path(of: index, inputsAreInt8: inputFormats.map { $0 != nil }) {
        case .rescaling:
            // A float input is quantized with its producer's calibrated range, as the int8 plan does.
            let converted = zip(zip(entry.inputs, inputs), inputFormats).map { input, format in
                format == nil ? graph.quantizeDequantize(input.1, planning.quantization.range(ofOutputOf: input.0).int8Format(), name: entry.name)
                    : input.1
            }
            if let weights = try planning.weights(of: index), let layer = entry.layer as? ONNXWeightedLayer {
                let shape = entry.parameters.first { $0.name == "weight" }?.shape ?? [weights.values.count]
                let bias = graph.initializer("\(entry.name).bias", weights.bias, shape: [weights.bias.count])
                output = layer.weightedNode(&graph, [converted[0], graph.dequantizedWeights(entry.name, weights, shape: shape), bias], name: entry.name)
            } else {
                output = try ONNXModel.exportable(entry).exportONNX(&graph, inputs: converted, entry: entry)
            }
            format = planning.outputFormat(of: node)
        case .keepingScale:
            output = try ONNXModel.exportable(entry).exportONNX(&graph, inputs: inputs, entry: entry)
            format = inputFormats[0]
        case .float:
            output = try ONNXModel.exportable(entry).exportONNX(&graph, inputs: inputs, entry: entry)
        }
        // The fused epilogue (an int8 layer applies a ReLU by saturating at 0 in uint8).
        switch node.epilogue {
        case .none: break
        case .relu: output = graph.node("Relu", [output], name: entry.name)
        }
        if let format { output = graph.quantizeDequantize(output, format, name: entry.name) }
        formats.append(format)
        return output
    }
}

extension ONNXGraph {
    /// `value` rounded to int8 in `format` (round half to even, saturated, as oneDNN's reorder) and back.
    mutating func quantizeDequantize(_ value: String, _ format: (dataType: dnnl_data_type_t, scale: Float), name: String) -> String {
        let scale = initializer("\(name).activation_scale", [format.scale], shape: [])
        let unsigned = format.dataType == dnnl_u8
        let zeroPoint = initializer("\(name).activation_zero_point", raw: [0], dataType: unsigned ? ONNXModel.uint8 : ONNXModel.int8, shape: [])
        let quantized = node("QuantizeLinear", [value, scale, zeroPoint], name: name)
        return node("DequantizeLinear", [quantized, scale, zeroPoint], name: name)
    }

    /// A layer's int8 weights as float32: a UINT8 initializer holding each int8 value plus 128, with zero point 128
    /// (the same dequantized values) and one scale per output channel along axis 0. Stored as int8, onnxruntime runs
    /// them through its u8 x s8 kernels, whose 16-bit pair sums saturate on CPUs without VNNI (366 of 10,000 MNIST
    /// classes changed for the shipped LeNet on an AVX2 machine); u8 x u8 has no such intermediate.
    mutating func dequantizedWeights(_ name: String, _ weights: QuantizedWeights, shape: [Int]) -> String {
        let values = initializer("\(name).weight_quantized", raw: weights.values.map { UInt8(Int($0) + 128) }, dataType: ONNXModel.uint8, shape: shape)
        let scales = initializer("\(name).weight_scale", weights.scales, shape: [weights.scales.count])
        let zeroPoints = initializer("\(name).weight_zero_point", raw: [UInt8](repeating: 128, count: weights.scales.count),
                                     dataType: ONNXModel.uint8, shape: [weights.scales.count])
        return node("DequantizeLinear", [values, scales, zeroPoints], attributes: ["axis": .int(0)], name: name)
    }
}
