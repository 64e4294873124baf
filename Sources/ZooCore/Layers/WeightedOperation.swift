import CDNNL
import Foundation

/// The operation of a layer with weights (+ optional bias): its oneDNN descriptors for given layouts, forward with
/// optional post-ops and scales, backward data and backward weights.
enum WeightedOperation {
    /// Strides, dilations (from 0, oneDNN's count) and paddings, height then width.
    case convolution(strides: [Int64], dilations: [Int64], paddings: [Int64])
    case innerProduct

    var kind: String {
        switch self {
        case .convolution: return "convolution"
        case .innerProduct: return "inner product"
        }
    }

    /// The forward primitive for these src, weights, bias (nil = none) and dst descriptors.
    func forward(_ builder: PlanBuilder, _ propagation: dnnl_prop_kind_t, source: MemoryDescriptor, weights: MemoryDescriptor,
                 bias: MemoryDescriptor?, destination: MemoryDescriptor, postOps: PostOps?, scales: PrimitiveScales? = nil,
                 name: String) throws -> PrimitiveDescriptor {
        var (source, weights, destination) = (source.raw, weights.raw, destination.raw)
        switch self {
        case let .convolution(strides, dilations, paddings):
            var descriptor = dnnl_convolution_desc_t()
            try withOptionalDescriptor(bias) { bias in
                try check(dnnl_dilated_convolution_forward_desc_init(&descriptor, propagation, dnnl_convolution_direct, &source, &weights,
                                                                     bias, &destination, strides, dilations, paddings, paddings),
                          "dnnl_dilated_convolution_forward_desc_init")
            }
            return try builder.primitiveDescriptor(&descriptor, postOps: postOps, scales: scales, name: name)
        case .innerProduct:
            var descriptor = dnnl_inner_product_desc_t()
            try withOptionalDescriptor(bias) { bias in
                try check(dnnl_inner_product_forward_desc_init(&descriptor, propagation, &source, &weights, bias, &destination),
                          "dnnl_inner_product_forward_desc_init")
            }
            return try builder.primitiveDescriptor(&descriptor, postOps: postOps, scales: scales, name: name)
        }
    }

    /// The backward-data primitive for these diff_src, weights and diff_dst descriptors.
    func backwardData(_ builder: PlanBuilder, sourceGradient: MemoryDescriptor, weights: MemoryDescriptor, destinationGradient: MemoryDescriptor,
                      hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var (sourceGradient, weights, destinationGradient) = (sourceGradient.raw, weights.raw, destinationGradient.raw)
        let name = "\(kind) backward data"
        switch self {
        case let .convolution(strides, dilations, paddings):
            var descriptor = dnnl_convolution_desc_t()
            try check(dnnl_dilated_convolution_backward_data_desc_init(&descriptor, dnnl_convolution_direct, &sourceGradient, &weights,
                                                                       &destinationGradient, strides, dilations, paddings, paddings),
                      "dnnl_dilated_convolution_backward_data_desc_init")
            return try builder.primitiveDescriptor(&descriptor, hint: hint, name: name)
        case .innerProduct:
            var descriptor = dnnl_inner_product_desc_t()
            try check(dnnl_inner_product_backward_data_desc_init(&descriptor, &sourceGradient, &weights, &destinationGradient),
                      "dnnl_inner_product_backward_data_desc_init")
            return try builder.primitiveDescriptor(&descriptor, hint: hint, name: name)
        }
    }

    /// The backward-weights primitive for these src, diff_weights, diff_bias (nil = none) and diff_dst descriptors.
    func backwardWeights(_ builder: PlanBuilder, source: MemoryDescriptor, weightsGradient: MemoryDescriptor, biasGradient: MemoryDescriptor?,
                         destinationGradient: MemoryDescriptor, hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var (source, weightsGradient, destinationGradient) = (source.raw, weightsGradient.raw, destinationGradient.raw)
        let name = "\(kind) backward weights"
        switch self {
        case let .convolution(strides, dilations, paddings):
            var descriptor = dnnl_convolution_desc_t()
            try withOptionalDescriptor(biasGradient) { biasGradient in
                try check(dnnl_dilated_convolution_backward_weights_desc_init(&descriptor, dnnl_convolution_direct, &source, &weightsGradient,
                                                                              biasGradient, &destinationGradient, strides, dilations,
                                                                              paddings, paddings),
                          "dnnl_dilated_convolution_backward_weights_desc_init")
            }
            return try builder.primitiveDescriptor(&descriptor, hint: hint, name: name)
        case .innerProduct:
            var descriptor = dnnl_inner_product_desc_t()
            try withOptionalDescriptor(biasGradient) { biasGradient in
                try check(dnnl_inner_product_backward_weights_desc_init(&descriptor, &source, &weightsGradient, biasGradient,
                                                                        &destinationGradient),
                          "dnnl_inner_product_backward_weights_desc_init")
            }
            return try builder.primitiveDescriptor(&descriptor, hint: hint, name: name)
        }
    }
}

/// PyTorch's default initialisation for conv and linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
func defaultWeights(shape: [Int], fanIn: Int, hasBias: Bool) -> [ParameterSpec] {
    let bound = 1 / Float(fanIn).squareRoot()
    var specs = [ParameterSpec(name: "weight", shape: shape, initializer: .uniform(bound: bound))]
    if hasBias { specs.append(ParameterSpec(name: "bias", shape: [shape[0]], initializer: .uniform(bound: bound))) }
    return specs
}

extension PlanBuilder {
    /// Compiles a conv or inner product whose weights live in `context.parameter("weight")`: forward, then in
    /// training backward weights and backward data. The context's epilogue runs as a post-op, its backward (on
    /// the output) here.
    func compileWeighted(_ operation: WeightedOperation, _ context: LayerContext, hasBias: Bool) throws -> Activation {
        let weight = try context.parameter("weight")
        let sourceDimensions = context.inputShape.withBatch(batchSize)
        let outputDimensions = context.outputShape.withBatch(batchSize)
        if let quantized = context.quantized {
            return try compileQuantized(operation, context, quantized, weightDimensions: weight.canonicalDescriptor.dimensions,
                                        sourceDimensions: sourceDimensions, outputDimensions: outputDimensions)
        }
        let layouts = WeightedLayouts(rules: context.layoutRules, anySource: try .any(sourceDimensions, dataType: context.dataType),
                                      anyOutput: try .any(outputDimensions, dataType: context.dataType))
        let bias = hasBias ? try context.parameter("bias") : nil
        let biasDescriptor = hasBias ? try MemoryDescriptor.plain([outputDimensions[1]]) : nil
        let anyWeights = try MemoryDescriptor.any(weight.canonicalDescriptor.dimensions, dataType: context.dataType)
        let (forwardDescriptor, narrowed) = try weightedForwardDescriptor(operation, context, layouts, anyWeights: anyWeights,
                                                                          biasDescriptor: biasDescriptor)
        // A trained weight's output has a gradient (the layer needs one), so backward weights runs.
        let backwardWeights = try training && weight.gradient != nil
            ? backwardWeightsDescriptor(operation, layouts, forwardDescriptor: forwardDescriptor, narrowed: narrowed,
                                        weightDimensions: weight.canonicalDescriptor.dimensions, biasDescriptor: biasDescriptor)
            : nil
        // float32 reads the master weights as they are, so they take the forward's layout. In bf16 the forward and
        // backward data read a bf16 copy either way, so the master takes the layout backward weights writes the
        // float32 gradient in, which then needs no reorder.
        let forwardWeights = forwardDescriptor.memoryDescriptor(dnnl_query_weights_md)
        try weight.adopt(context.dataType == dnnl_bf16 ? backwardWeights?.descriptor.memoryDescriptor(dnnl_query_diff_weights_md)
                         ?? forwardWeights.withDataType(dnnl_f32) : forwardWeights.withDataType(dnnl_f32))
        let forward = try compileWeightedForward(operation, context, forwardDescriptor, narrowed: narrowed, weight: weight, bias: bias,
                                                 anyWeights: anyWeights)

        // No output gradient: neither this layer nor any before it trains. A frozen layer still passes its
        // gradient back when a layer before it trains.
        guard training, var outputGradient = forward.output.gradient else { return forward.output }
        if context.epilogue != .none {
            let beforeEpilogue = try memory(forward.output.descriptor)
            try backwardEpilogue(context.epilogue, output: forward.output.value, outputGradient: outputGradient, inputGradient: beforeEpilogue)
            outputGradient = beforeEpilogue
        }
        var gradientForWeights: Memory?
        if let backwardWeights, let weightGradient = weight.gradient {
            gradientForWeights = try compileBackwardWeights(operation, context, backwardWeights, forward, weightGradient: weightGradient,
                                                            biasGradient: bias?.gradient, outputGradient: outputGradient)
        }
        if let inputGradient = context.input.gradient {
            try compileBackwardData(operation, layouts, forward, weight: weight, inputGradient: inputGradient, outputGradient: outputGradient,
                                    reorderedGradient: gradientForWeights)
        }
        return forward.output
    }

    /// What the backward primitives of a conv or inner product read of its forward.
    struct WeightedForward {
        let descriptor: PrimitiveDescriptor
        /// The source and weights in the forward's layouts.
        let source: Memory
        let weights: Memory
        let output: Activation
        /// Whether the output took 8-channel blocks (`LayoutRule.eightChannelBlocks`).
        let narrowed: Bool
        /// The weights as any primitive may pick them (in bf16, a bf16 copy of the float32 master weights).
        let anyWeights: MemoryDescriptor
    }

    /// The forward primitive descriptor: the first source layout with oneDNN's best kernel, and its output in
    /// 8-channel blocks (`narrowed`) where `eightChannelBlocks` applies and that keeps the best kernel.
    private func weightedForwardDescriptor(_ operation: WeightedOperation, _ context: LayerContext, _ layouts: WeightedLayouts,
                                           anyWeights: MemoryDescriptor, biasDescriptor: MemoryDescriptor?) throws -> (PrimitiveDescriptor, narrowed: Bool) {
        let postOps = try context.epilogue.postOps()
        func forwardKernel(into output: MemoryDescriptor) throws -> PrimitiveDescriptor {
            try fastest(layouts.forwardSources(input: context.input.descriptor)) { source in
                try operation.forward(self, propagation, source: source, weights: anyWeights, bias: biasDescriptor, destination: output,
                                      postOps: postOps, name: operation.kind)
            }
        }
        let descriptor = try forwardKernel(into: layouts.anyOutput)
        if let narrowerOutput = try layouts.narrowedOutput(picked: descriptor.memoryDescriptor(dnnl_query_dst_md)),
           let narrower = try? forwardKernel(into: narrowerOutput), Self.kernelRank(narrower) == Self.bestKernelRank {
            return (narrower, true)
        }
        return (descriptor, false)
    }

    /// The forward's steps, on the weights in the layout they adopted.
    private func compileWeightedForward(_ operation: WeightedOperation, _ context: LayerContext, _ descriptor: PrimitiveDescriptor, narrowed: Bool,
                                        weight: Parameter, bias: Parameter?, anyWeights: MemoryDescriptor) throws -> WeightedForward {
        let source = try forwardConverted(context.input.value, to: descriptor.memoryDescriptor(dnnl_query_src_md))
        let weights = try forwardConverted(weight.value, to: descriptor.memoryDescriptor(dnnl_query_weights_md))
        let output = try activation(context.outputShape, descriptor: descriptor.memoryDescriptor(dnnl_query_dst_md))
        var arguments: [(Int32, Memory)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DST, output.value)]
        if let bias { arguments.append((DNNL_ARG_BIAS, bias.value)) }
        try forward(descriptor, operation.kind, arguments)
        return WeightedForward(descriptor: descriptor, source: source, weights: weights, output: output, narrowed: narrowed, anyWeights: anyWeights)
    }

    /// The backward-weights primitive descriptor (with the channels-last source it may read), chosen from the
    /// forward's alone: its source and output layouts are the ones backward sees.
    private func backwardWeightsDescriptor(_ operation: WeightedOperation, _ layouts: WeightedLayouts, forwardDescriptor: PrimitiveDescriptor,
                                           narrowed: Bool, weightDimensions: [Int],
                                           biasDescriptor: MemoryDescriptor?) throws -> (descriptor: PrimitiveDescriptor, channelsLastSource: MemoryDescriptor?) {
        let source = forwardDescriptor.memoryDescriptor(dnnl_query_src_md)
        let outputGradient = forwardDescriptor.memoryDescriptor(dnnl_query_dst_md)
        // Weight gradients stay float32 in bf16, for the float32 master weights.
        let anyWeightGradient = try MemoryDescriptor.any(weightDimensions)
        let channelsLastSource = try layouts.channelsLastSource(source: source, forwardOutput: outputGradient)
        let choices = try layouts.backwardWeightsChoices(source: source, outputGradient: outputGradient, narrowed: narrowed,
                                                         channelsLastSource: channelsLastSource)
        let descriptor = try fastest(choices) { layouts in
            try operation.backwardWeights(self, source: layouts.0, weightsGradient: anyWeightGradient, biasGradient: biasDescriptor,
                                          destinationGradient: layouts.1, hint: forwardDescriptor)
        }
        return (descriptor, channelsLastSource)
    }

    /// The backward-weights steps (and bias gradient) of a trained layer; returns the output gradient in the
    /// layout it read, which backward data reuses when it wants the same.
    private func compileBackwardWeights(_ operation: WeightedOperation, _ context: LayerContext,
                                        _ chosen: (descriptor: PrimitiveDescriptor, channelsLastSource: MemoryDescriptor?),
                                        _ forward: WeightedForward, weightGradient: Memory, biasGradient: Memory?,
                                        outputGradient: Memory) throws -> Memory {
        let (descriptor, source) = (chosen.descriptor, forward.source)
        let sourceForWeightsDescriptor = descriptor.memoryDescriptor(dnnl_query_src_md)
        let sourceForWeights = sourceForWeightsDescriptor == source.descriptor ? source
            : sourceForWeightsDescriptor == chosen.channelsLastSource ? try alias(source, as: sourceForWeightsDescriptor)
            : try backwardConverted(context.input.value, to: sourceForWeightsDescriptor)
        let gradientForWeights = try backwardConverted(outputGradient, to: descriptor.memoryDescriptor(dnnl_query_diff_dst_md))
        let name = "\(operation.kind) backward weights"
        try backward(writingInto: weightGradient, as: descriptor.memoryDescriptor(dnnl_query_diff_weights_md)) { target in
            var arguments: [(Int32, Memory)] = [(DNNL_ARG_SRC, sourceForWeights), (DNNL_ARG_DIFF_DST, gradientForWeights),
                                                (DNNL_ARG_DIFF_WEIGHTS, target)]
            if let biasGradient { arguments.append((DNNL_ARG_DIFF_BIAS, biasGradient)) }
            try backward(descriptor, name, arguments)
        }
        return gradientForWeights
    }

    /// The backward-data primitive; it reads the output gradient as it is, or as backward weights reordered it
    /// (`reorderedGradient`), when it wants that layout, else a reorder of its own.
    private func compileBackwardData(_ operation: WeightedOperation, _ layouts: WeightedLayouts, _ forward: WeightedForward, weight: Parameter,
                                     inputGradient: Memory, outputGradient: Memory, reorderedGradient: Memory?) throws {
        let weightChoices = layouts.backwardDataWeights(forward: forward.weights.descriptor, any: forward.anyWeights)
        let choices = layouts.backwardDataChoices(inputGradient: inputGradient.descriptor, outputGradient: outputGradient.descriptor)
            .flatMap { gradients in weightChoices.map { (gradients.0, gradients.1, $0) } }
        let descriptor = try fastest(choices) { layouts in
            try operation.backwardData(self, sourceGradient: layouts.0, weights: layouts.2, destinationGradient: layouts.1, hint: forward.descriptor)
        }
        let wanted = descriptor.memoryDescriptor(dnnl_query_diff_dst_md)
        let gradient = try reorderedGradient.flatMap { $0.descriptor == wanted ? $0 : nil } ?? backwardConverted(outputGradient, to: wanted)
        let wantedWeights = descriptor.memoryDescriptor(dnnl_query_weights_md)
        let weights = try wantedWeights == forward.weights.descriptor ? forward.weights : backwardConverted(weight.value, to: wantedWeights)
        let name = "\(operation.kind) backward data"
        try backward(writingInto: inputGradient, as: descriptor.memoryDescriptor(dnnl_query_diff_src_md)) { target in
            try backward(descriptor, name, [(DNNL_ARG_DIFF_DST, gradient), (DNNL_ARG_WEIGHTS, weights), (DNNL_ARG_DIFF_SRC, target)])
        }
    }
}
