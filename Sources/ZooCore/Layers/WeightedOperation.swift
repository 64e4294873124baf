import CDNNL
import Foundation

/// The part convolution and inner product share: weights (+ optional bias) whose layout the first plan
/// chooses, forward with an optional fused ReLU, and backward-data / backward-weights primitives.
struct WeightedOperation<OperationDescriptor> {
    let kind: String
    /// Fills a forward op desc for the given src, weights, bias (nil = none) and dst descriptors.
    let forward: (dnnl_prop_kind_t, MemoryDescriptor, MemoryDescriptor, MemoryDescriptor?, MemoryDescriptor) throws -> OperationDescriptor
    /// diff_src, weights, diff_dst.
    let backwardData: (MemoryDescriptor, MemoryDescriptor, MemoryDescriptor) throws -> OperationDescriptor
    /// src, diff_weights, diff_bias (nil = none), diff_dst.
    let backwardWeights: (MemoryDescriptor, MemoryDescriptor, MemoryDescriptor?, MemoryDescriptor) throws -> OperationDescriptor
}

/// PyTorch's default initialisation for conv and linear: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
func defaultWeights(shape: [Int], fanIn: Int, hasBias: Bool) -> [ParameterSpec] {
    let bound = 1 / Float(fanIn).squareRoot()
    var specs = [ParameterSpec(name: "weight", shape: shape, initializer: .uniform(bound: bound))]
    if hasBias { specs.append(ParameterSpec(name: "bias", shape: [shape[0]], initializer: .uniform(bound: bound))) }
    return specs
}

extension PlanBuilder {
    /// Compiles a conv or inner product whose weights live in `context.parameter("weight")`.
    /// With `context.fusesReLU`, the following ReLU runs as a post-op and its backward (on the output) here.
    func compileWeighted<OperationDescriptor>(_ operation: WeightedOperation<OperationDescriptor>, _ context: LayerContext, hasBias: Bool,
                                              sourceDimensions: [Int], outputDimensions: [Int]) throws -> Activation {
        let weight = try context.parameter("weight")
        if let quantized = context.quantized {
            return try compileQuantized(operation, context, quantized, weightDimensions: weight.canonicalDescriptor.dimensions,
                                        sourceDimensions: sourceDimensions, outputDimensions: outputDimensions)
        }
        let bias = hasBias ? try context.parameter("bias") : nil
        let biasDescriptor = hasBias ? try MemoryDescriptor.plain([outputDimensions[1]]) : nil
        // In bf16 the primitives read a bf16 copy of the float32 master weights (backward weights writes float32 gradients).
        let anyWeights = try MemoryDescriptor.any(weight.canonicalDescriptor.dimensions, dataType: context.dataType)
        let anyOutput = try MemoryDescriptor.any(outputDimensions, dataType: context.dataType)
        let postOps = context.fusesReLU && !context.reluAfterPooling ? try PostOps(relu: ()) : nil

        // Weights: each primitive picks its own layout, since forcing one can land on a reference kernel;
        // the first forward's choice becomes the parameter's layout. Activations: the neighbours' layouts
        // are offered first, to save reorders, unless only a reference kernel takes them.
        let anySource = try MemoryDescriptor.any(sourceDimensions, dataType: context.dataType)
        func forwardKernel(into output: MemoryDescriptor) throws -> PrimitiveDescriptor {
            try fastest([context.input.descriptor, anySource]) { source in
                var forwardOperation = try operation.forward(propagation, source, anyWeights, biasDescriptor, output)
                return try primitiveDescriptor(&forwardOperation, postOps: postOps, name: operation.kind)
            }
        }
        var forwardDescriptor = try forwardKernel(into: anyOutput)
        var narrowed = false
        // With AVX-512 oneDNN blocks channels by 16, so a layer of 8 channels or fewer computes twice its size or
        // more; its AVX2 kernels block by 8 and run on the same machine. Such layers take 8-channel blocks when a
        // JIT kernel has them (no kernel is a fallback, not an error). Readers offer that layout first: the Swift
        // max pooling keeps it; a wider convolution after it may still pick another (LeNet's conv2 reads nchw).
        if outputDimensions.count == 4, outputDimensions[1] <= 8,
           try forwardDescriptor.memoryDescriptor(dnnl_query_dst_md) == MemoryDescriptor(dimensions: outputDimensions, tag: dnnl_aBcd16b),
           let narrower = try? forwardKernel(into: MemoryDescriptor(dimensions: outputDimensions, tag: dnnl_aBcd8b)),
           Self.kernelRank(narrower) == Self.bestKernelRank {
            forwardDescriptor = narrower
            narrowed = true
        }
        try weight.adopt(forwardDescriptor.memoryDescriptor(dnnl_query_weights_md).withDataType(dnnl_f32))
        let source = try forwardConverted(context.input.value, to: forwardDescriptor.memoryDescriptor(dnnl_query_src_md))
        let weightsForForward = try forwardConverted(weight.value, to: forwardDescriptor.memoryDescriptor(dnnl_query_weights_md))
        let output = try activation(context.outputShape, descriptor: forwardDescriptor.memoryDescriptor(dnnl_query_dst_md))
        var arguments: [(Int32, Memory)] = [(DNNL_ARG_SRC, source), (DNNL_ARG_WEIGHTS, weightsForForward), (DNNL_ARG_DST, output.value)]
        if let bias { arguments.append((DNNL_ARG_BIAS, bias.value)) }
        try forward(forwardDescriptor, operation.kind, arguments)

        // No output gradient: neither this layer nor any before it trains. A frozen layer still passes its
        // gradient back when a layer before it trains.
        guard training, var outputGradient = output.gradient else { return output }
        if context.fusesReLU && !context.reluAfterPooling {
            let beforeReLU = try memory(output.descriptor)
            try reluBackwardFromOutput(output: output.value, outputGradient: outputGradient, inputGradient: beforeReLU)
            outputGradient = beforeReLU
        }

        let gradientForWeights = try weight.gradient.map { weightGradient in
            try compileBackwardWeights(operation, context, source: source, weightGradient: weightGradient, bias: bias,
                                       biasDescriptor: biasDescriptor, outputGradient: outputGradient, forwardDescriptor: forwardDescriptor,
                                       sourceDimensions: sourceDimensions, outputDimensions: outputDimensions, narrowed: narrowed)
        }

        if let inputGradient = context.input.gradient {
            let dataDescriptor = try fastest([(inputGradient.descriptor, outputGradient.descriptor), (anySource, outputGradient.descriptor),
                                              (anySource, anyOutput)]) { layouts in
                var dataOperation = try operation.backwardData(layouts.0, anyWeights, layouts.1)
                return try primitiveDescriptor(&dataOperation, hint: forwardDescriptor, name: "\(operation.kind) backward data")
            }
            let wanted = dataDescriptor.memoryDescriptor(dnnl_query_diff_dst_md)
            let gradientForData = try gradientForWeights.flatMap { $0.descriptor == wanted ? $0 : nil } ?? backwardConverted(outputGradient, to: wanted)
            let wantedWeights = dataDescriptor.memoryDescriptor(dnnl_query_weights_md)
            let weightsForData = try wantedWeights == weightsForForward.descriptor ? weightsForForward : backwardConverted(weight.value, to: wantedWeights)
            try backward(writingInto: inputGradient, as: dataDescriptor.memoryDescriptor(dnnl_query_diff_src_md)) { target in
                try backward(dataDescriptor, "\(operation.kind) backward data",
                             [(DNNL_ARG_DIFF_DST, gradientForData), (DNNL_ARG_WEIGHTS, weightsForData), (DNNL_ARG_DIFF_SRC, target)])
            }
        }
        return output
    }

    /// The backward-weights primitive (and bias gradient) of a trained layer; returns the output gradient in the
    /// layout it read, which backward data reuses when it wants the same.
    private func compileBackwardWeights<OperationDescriptor>(
        _ operation: WeightedOperation<OperationDescriptor>, _ context: LayerContext, source: Memory, weightGradient: Memory, bias: Parameter?,
        biasDescriptor: MemoryDescriptor?, outputGradient: Memory, forwardDescriptor: PrimitiveDescriptor, sourceDimensions: [Int],
        outputDimensions: [Int], narrowed: Bool
    ) throws -> Memory {
        let anySource = try MemoryDescriptor.any(sourceDimensions, dataType: context.dataType)
        let anyOutput = try MemoryDescriptor.any(outputDimensions, dataType: context.dataType)
        // Weight gradients stay float32 in bf16, for the float32 master weights.
        let anyWeightGradient = try MemoryDescriptor.any(weightGradient.descriptor.dimensions)
        // (src, diff_dst) choices: the forward's own, or oneDNN's (then the input is reordered for it).
        // A plain image source with one channel is also channels-last, byte for byte: where oneDNN blocks
        // channels by 8 (AVX2), its channels-last kernel beats the blocked one, which pads the channel to 8
        // (LeNet's conv1: 0.27 ms against 0.64 ms plus a 0.23 ms reorder of the input, for a 0.15 ms reorder
        // of the gradient). With 16-channel blocks (AVX-512) channels-last was slower, so it is not offered.
        let oneChannelChannelsLast = try sourceDimensions.count == 4 && sourceDimensions[1] == 1 && source.descriptor.isPlain
            && forwardDescriptor.memoryDescriptor(dnnl_query_dst_md) == MemoryDescriptor(dimensions: outputDimensions, tag: dnnl_aBcd8b)
            ? MemoryDescriptor(dimensions: sourceDimensions, tag: dnnl_acdb) : nil
        var weightsChoices = [(source.descriptor, outputGradient.descriptor)]
        // Where the forward was narrowed to 8-channel blocks, oneDNN's AVX-512 backward weights on its own
        // gradient layout (16-channel blocks, after a reorder) beat the channels-last one: LeNet's conv1,
        // 64 images on one thread, 0.26 ms against 0.42 ms.
        if narrowed { weightsChoices.append((source.descriptor, anyOutput)) }
        if let oneChannelChannelsLast {
            weightsChoices.append((oneChannelChannelsLast, try MemoryDescriptor(dimensions: outputDimensions, tag: dnnl_acdb)))
        }
        weightsChoices += [(anySource, anyOutput), (source.descriptor, anyOutput)]
        let weightsDescriptor = try fastest(weightsChoices) { layouts in
            var weightsOperation = try operation.backwardWeights(layouts.0, anyWeightGradient, biasDescriptor, layouts.1)
            return try primitiveDescriptor(&weightsOperation, hint: forwardDescriptor, name: "\(operation.kind) backward weights")
        }
        let sourceForWeightsDescriptor = weightsDescriptor.memoryDescriptor(dnnl_query_src_md)
        let sourceForWeights = sourceForWeightsDescriptor == source.descriptor ? source
            : sourceForWeightsDescriptor == oneChannelChannelsLast ? try alias(source, as: sourceForWeightsDescriptor)
            : try backwardConverted(context.input.value, to: sourceForWeightsDescriptor)
        let gradientForWeights = try backwardConverted(outputGradient, to: weightsDescriptor.memoryDescriptor(dnnl_query_diff_dst_md))
        try backward(writingInto: weightGradient, as: weightsDescriptor.memoryDescriptor(dnnl_query_diff_weights_md)) { target in
            var arguments: [(Int32, Memory)] = [(DNNL_ARG_SRC, sourceForWeights), (DNNL_ARG_DIFF_DST, gradientForWeights),
                                                (DNNL_ARG_DIFF_WEIGHTS, target)]
            if let biasGradient = bias?.gradient { arguments.append((DNNL_ARG_DIFF_BIAS, biasGradient)) }
            try backward(weightsDescriptor, "\(operation.kind) backward weights", arguments)
        }
        return gradientForWeights
    }

    /// The primitive descriptor from the first layout choice that gets the best kind of kernel oneDNN has:
    /// its optimised JIT and brgemm kernels, then its GEMM-based ones, then the reference code (up to ~50x slower).
    private func fastest<Choice>(_ choices: [Choice], _ make: (Choice) throws -> PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var best: (descriptor: PrimitiveDescriptor, rank: Int)?
        var firstError: Error?
        for choice in choices {
            do {
                let descriptor = try make(choice)
                let score = Self.kernelRank(descriptor)
                if score == Self.bestKernelRank { return descriptor }
                if score > best?.rank ?? -1 { best = (descriptor, score) }
            } catch {
                firstError = firstError ?? error
            }
        }
        if let best { return best.descriptor }
        throw firstError ?? ZooError("no oneDNN implementation for \(currentLayerName)")
    }

    private static let bestKernelRank = 2

    /// 0 for the reference code, 1 for GEMM-based kernels, 2 for JIT and brgemm ones.
    private static func kernelRank(_ descriptor: PrimitiveDescriptor) -> Int {
        let implementation = descriptor.implementation
        return implementation.hasPrefix("ref") ? 0 : implementation.hasPrefix("x64:gemm") || implementation.hasPrefix("gemm") ? 1 : bestKernelRank
    }
}
