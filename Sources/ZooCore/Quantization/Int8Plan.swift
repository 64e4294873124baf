import CDNNL

/// In an int8 plan, what a conv, linear or add computing on int8 values is handed.
struct QuantizedLayer {
    let outputType: dnnl_data_type_t
    /// What one unit of the output stands for (1 for a float32 output).
    let outputScale: Float
    /// What it runs on its output (the fusion pass's, as in float plans).
    let epilogue: Epilogue
    /// A conv's or linear's; nil for add.
    let weights: QuantizedWeights?
}

/// The int8 precision pass, layer by layer while a plan compiles: which layers compute on int8 values, and the
/// data type and scale of what each reads and writes. Each int8 activation's type and scale come from the
/// calibrated range of the layer output it stands for: unsigned after a ReLU, else signed.
struct Int8Planning {
    let entries: [Network.Entry]
    let quantization: NetworkQuantization
    /// The fusion pass's nodes under the int8 rules: batch norm folded, ReLUs applied by the layer before.
    let graph: Graph

    struct LayerPlan {
        let inputs: [Activation]
        let dataType: dnnl_data_type_t
        let quantized: QuantizedLayer?
        /// The scale of the layer's output.
        let outputScale: Float
    }

    /// How a layer computes in an int8 plan, given which of its inputs are int8 (the ONNX export follows the same rule).
    enum Path { case rescaling, keepingScale, float }

    func path(of index: Int, inputsAreInt8: [Bool]) -> Path {
        let layer = entries[index].layer
        switch type(of: layer).int8Support {
        case .rescaling where !(layer is Add) || (inputsAreInt8.count == 2 && !inputsAreInt8.contains(false)): return .rescaling
        case .keepingScale where inputsAreInt8[0]: return .keepingScale
        default: return .float
        }
    }

    /// A rescaling layer's int8 weights (nil for add).
    func weights(of index: Int) throws -> QuantizedWeights? {
        let entry = entries[index]
        let weights = quantization.weights[entry.name]
        guard weights != nil || entry.layer is Add else {
            throw ZooError("layer \(entry.name) has no int8 weights", hint: "quantize the checkpoint again with `zoo quantize`")
        }
        return weights
    }

    /// The type and scale of a rescaling layer's int8 output; nil for the network's output, which stays float32,
    /// as the layers after a float layer would want it.
    func outputFormat(of node: FusedNode) -> (dataType: dnnl_data_type_t, scale: Float)? {
        graph.lastUse[node.layer] >= entries.count ? nil
            : quantization.range(ofOutputOf: node.chainEnd).int8Format(nonNegative: node.epilogue.isNonNegative)
    }

    func prepare(_ node: FusedNode, inputs: [Activation], _ builder: PlanBuilder) throws -> LayerPlan {
        let index = node.layer
        let entry = entries[index]
        switch path(of: index, inputsAreInt8: inputs.map(\.isInt8)) {
        case .rescaling:
            let weights = try self.weights(of: index)
            // A float input (the network input, or a float layer's output) is quantized with its calibrated range.
            let converted = try zip(entry.inputs, inputs).map { producer, input in
                try input.isInt8 ? input : builder.quantized(input, as: quantization.range(ofOutputOf: producer).int8Format())
            }
            let output = outputFormat(of: node) ?? (dataType: dnnl_f32, scale: Float(1))
            let layer = QuantizedLayer(outputType: output.dataType, outputScale: output.scale, epilogue: node.epilogue, weights: weights)
            return LayerPlan(inputs: converted, dataType: converted[0].descriptor.dataType, quantized: layer, outputScale: output.scale)
        case .keepingScale:
            return LayerPlan(inputs: inputs, dataType: inputs[0].descriptor.dataType, quantized: nil, outputScale: inputs[0].scale)
        case .float:
            return LayerPlan(inputs: try inputs.map { try builder.dequantized($0) }, dataType: dnnl_f32, quantized: nil, outputScale: 1)
        }
    }
}

extension PlanBuilder {
    /// A float32 activation as int8 in `format` (value / scale, rounded and saturated), same layout, by a reorder
    /// in the forward pass.
    func quantized(_ activation: Activation, as format: (dataType: dnnl_data_type_t, scale: Float)) throws -> Activation {
        let value = try sharedActivationBuffer(activation.descriptor.withDataType(format.dataType), until: currentLayerIndex)
        forward(try reorderStep(from: activation.value, to: value, scale: 1 / format.scale))
        return Activation(shape: activation.shape, value: value, gradient: nil, scale: format.scale)
    }

    /// An int8 activation back in float32 (scale x value) for a layer oneDNN has no int8 kernel for; floats pass.
    func dequantized(_ activation: Activation) throws -> Activation {
        guard activation.isInt8 else { return activation }
        let value = try sharedActivationBuffer(activation.descriptor.withDataType(dnnl_f32), until: currentLayerIndex)
        forward(try reorderStep(from: activation.value, to: value, scale: activation.scale))
        return Activation(shape: activation.shape, value: value, gradient: nil)
    }

    /// An int8 convolution or inner product: s8 weights (reordered once, here, into the kernel's layout), the
    /// input as u8 or s8, int32 accumulation, per-output-channel output scales and the output as u8, s8 or f32.
    func compileQuantized(_ operation: WeightedOperation, _ context: LayerContext,
                                               _ layer: QuantizedLayer, weightDimensions: [Int], sourceDimensions: [Int],
                                               outputDimensions: [Int]) throws -> Activation {
        guard let weights = layer.weights else { throw ZooError("layer \(context.name) has no int8 weights") }
        let input = context.input
        // oneDNN 2.6 adds the bias to the int32 accumulator before the output scales, so it is given in the accumulator's units.
        let accumulatorScales = weights.scales.map { $0 * input.scale }
        let bias = zip(weights.bias, accumulatorScales).map { $0 / $1 }
        let biasDescriptor = try MemoryDescriptor.plain([bias.count])
        let anySource = try MemoryDescriptor.any(sourceDimensions, dataType: input.descriptor.dataType)
        let anyWeights = try MemoryDescriptor.any(weightDimensions, dataType: dnnl_s8)
        let anyOutput = try MemoryDescriptor.any(outputDimensions, dataType: layer.outputType)
        // An unsigned output saturates at 0, which is the ReLU; a float output needs it applied.
        let postOps = layer.outputType == dnnl_f32 ? try layer.epilogue.postOps() : nil
        let descriptor = try operation.forward(self, dnnl_forward_inference, source: anySource, weights: anyWeights, bias: biasDescriptor,
                                               destination: anyOutput, postOps: postOps,
                                               scales: .output(accumulatorScales.map { $0 / layer.outputScale }), name: "int8 \(operation.kind)")
        let source = try forwardConverted(input.value, to: descriptor.memoryDescriptor(dnnl_query_src_md))
        let plainWeights = try memory(try .plain(weightDimensions, dataType: dnnl_s8))
        weights.values.withUnsafeBytes { UnsafeMutableRawBufferPointer(start: plainWeights.data, count: plainWeights.byteCount).copyMemory(from: $0) }
        let kernelWeights = try memory(descriptor.memoryDescriptor(dnnl_query_weights_md))
        try reorder(from: plainWeights, to: kernelWeights, device: device)
        let biasMemory = try memory(biasDescriptor)
        biasMemory.withFloats { values in for index in bias.indices { values[index] = bias[index] } }
        let output = try activation(context.outputShape, descriptor: descriptor.memoryDescriptor(dnnl_query_dst_md))
        try forward(descriptor, "int8 \(operation.kind)", [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, kernelWeights),
                                                           (DNNL_ARG_BIAS, biasMemory), (DNNL_ARG_DST, output.value)])
        return output
    }

    /// An int8 residual add: oneDNN's binary add with one scale per input (its scale over the output's), the
    /// output u8 after a ReLU, else s8. Both inputs are read in the first one's layout, each in its own type.
    func compileQuantizedAdd(_ context: LayerContext, _ layer: QuantizedLayer) throws -> Activation {
        let first = context.inputs[0]
        let values = try context.inputs.map { try forwardConverted($0.value, to: first.descriptor.withDataType($0.descriptor.dataType)) }
        let output = try activation(context.outputShape, descriptor: first.descriptor.withDataType(layer.outputType))
        // In one layout the sum is element-wise over the buffers, so it runs on them as flat vectors (see `sumStep`).
        let count = first.descriptor.byteCount / first.descriptor.elementSize
        let flat = try (values + [output.value]).map { try alias($0, as: try .plain([count], dataType: $0.descriptor.dataType)) }
        var operation = dnnl_binary_desc_t()
        var (firstRaw, secondRaw, outputRaw) = (flat[0].descriptor.raw, flat[1].descriptor.raw, flat[2].descriptor.raw)
        try check(dnnl_binary_desc_init(&operation, dnnl_binary_add, &firstRaw, &secondRaw, &outputRaw), "dnnl_binary_desc_init")
        let postOps = layer.outputType == dnnl_f32 ? try layer.epilogue.postOps() : nil
        let descriptor = try primitiveDescriptor(&operation, postOps: postOps, scales: .sources(context.inputs.map { $0.scale / layer.outputScale }),
                                                 name: "int8 add")
        try forward(descriptor, "int8 add", [(DNNL_ARG_SRC_0, flat[0]), (DNNL_ARG_SRC_1, flat[1]), (DNNL_ARG_DST, flat[2])])
        return output
    }
}
