import CDNNL

/// `batchnorm` (or PyTorch's `batchnorm2d`, `batchnorm1d`): PyTorch `nn.BatchNorm2d` on images, `nn.BatchNorm1d` on flat features.
/// Training normalises with the batch statistics and updates the running ones as PyTorch does
/// (momentum 0.1, unbiased variance); inference uses the running statistics, and so does a frozen layer's
/// training (as a PyTorch module in eval mode), which leaves them as they are. A ReLU after it runs as its
/// epilogue (the fusion pass), in place on its output.
public final class BatchNorm: Layer {
    public static let typeName = "batchnorm"
    public static let aliases = ["batchnorm2d", "batchnorm1d"]
    public static let computesInBFloat16 = true
    public static let argumentNames = ["eps", "momentum"]
    let epsilon: Float
    let momentum: Float

    public init(arguments: LayerArguments) throws {
        epsilon = Float(try arguments.double("eps", default: 1e-5, in: 1e-12...1))
        momentum = Float(try arguments.double("momentum", default: 0.1, in: 0...1))
    }

    public func build(input: Shape) throws -> LayerBuild {
        let channels = input.channels
        return LayerBuild(output: input, parameters: [
            ParameterSpec(name: "weight", shape: [channels], initializer: .constant(1)),
            ParameterSpec(name: "bias", shape: [channels], initializer: .constant(0)),
            ParameterSpec(name: "running_mean", shape: [channels], isTrainable: false, initializer: .constant(0)),
            ParameterSpec(name: "running_var", shape: [channels], isTrainable: false, initializer: .constant(1)),
        ], multiplyAccumulates: input.elementCount)
    }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let input = context.input
        let scale = try context.parameter("weight"), shift = try context.parameter("bias")
        let runningMean = try context.parameter("running_mean"), runningVariance = try context.parameter("running_var")
        let scaleAndShift = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        let usesRunningStatistics = !builder.training || scale.isFrozen
        let flags = scaleAndShift | (usesRunningStatistics ? dnnl_use_global_stats.rawValue : 0)

        var forwardOperation = dnnl_batch_normalization_desc_t()
        var data = input.descriptor.raw
        try check(dnnl_batch_normalization_forward_desc_init(&forwardOperation, builder.propagation, &data, epsilon, flags),
                  "dnnl_batch_normalization_forward_desc_init")
        let forwardDescriptor = try builder.primitiveDescriptor(&forwardOperation, name: "batch normalization")
        let output = try builder.activation(context.outputShape, descriptor: input.descriptor)
        var arguments: [(Int32, Memory)] = [(DNNL_ARG_SRC, input.value), (DNNL_ARG_DST, output.value),
                                            (DNNL_ARG_SCALE, scale.value), (DNNL_ARG_SHIFT, shift.value)]
        guard !usesRunningStatistics else {
            let statistics: [(Int32, Memory)] = [(DNNL_ARG_MEAN, runningMean.value), (DNNL_ARG_VARIANCE, runningVariance.value)]
            try builder.forward(forwardDescriptor, "batch normalization", arguments + statistics)
            try builder.forwardEpilogue(context.epilogue, inPlace: output.value)
            // Frozen, behind a layer that trains: the input gradient through the fixed normalisation. oneDNN 2.6 has
            // no backward-data kernel with global statistics and scale, so full backward runs, its scale and shift
            // gradients going to scratch.
            guard let afterEpilogue = output.gradient, let inputGradient = input.gradient else { return output }
            let outputGradient = try builder.gradientBeforeEpilogue(context.epilogue, output: output.value, outputGradient: afterEpilogue)
            var backwardOperation = dnnl_batch_normalization_desc_t()
            var gradient = input.descriptor.raw
            try check(dnnl_batch_normalization_backward_desc_init(&backwardOperation, dnnl_backward, &gradient, &data, epsilon, flags),
                      "dnnl_batch_normalization_backward_desc_init")
            let backwardDescriptor = try builder.primitiveDescriptor(&backwardOperation, hint: forwardDescriptor, name: "batch normalization backward")
            let unused = try MemoryDescriptor.plain([context.inputShape.channels])
            try builder.backward(backwardDescriptor, "batch normalization backward", statistics + [
                (DNNL_ARG_SRC, input.value), (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_SCALE, scale.value),
                (DNNL_ARG_SHIFT, shift.value), (DNNL_ARG_DIFF_SRC, inputGradient),
                (DNNL_ARG_DIFF_SCALE, try builder.memory(unused)), (DNNL_ARG_DIFF_SHIFT, try builder.memory(unused)),
            ])
            return output
        }

        let statistics = try MemoryDescriptor.plain([context.inputShape.channels])
        let batchMean = try builder.memory(statistics), batchVariance = try builder.memory(statistics)
        arguments += [(DNNL_ARG_MEAN, batchMean), (DNNL_ARG_VARIANCE, batchVariance)]
        try builder.forward(forwardDescriptor, "batch normalization", arguments)
        try builder.forwardEpilogue(context.epilogue, inPlace: output.value)
        let valuesPerChannel = builder.batchSize * context.inputShape.height * context.inputShape.width
        let unbiasing = valuesPerChannel > 1 ? Float(valuesPerChannel) / Float(valuesPerChannel - 1) : 1
        let momentum = self.momentum
        builder.forward {
            runningMean.value.withFloats { running in
                batchMean.withFloats { batch in
                    for channel in running.indices { running[channel] += momentum * (batch[channel] - running[channel]) }
                }
            }
            runningVariance.value.withFloats { running in
                batchVariance.withFloats { batch in
                    for channel in running.indices { running[channel] += momentum * (batch[channel] * unbiasing - running[channel]) }
                }
            }
        }

        guard let afterEpilogue = output.gradient, let scaleGradient = scale.gradient, let shiftGradient = shift.gradient else { return output }
        let outputGradient = try builder.gradientBeforeEpilogue(context.epilogue, output: output.value, outputGradient: afterEpilogue)
        // The input gradient is needed to get the weight gradients even for a first layer.
        let inputGradient = try input.gradient ?? builder.memory(input.descriptor)
        var backwardOperation = dnnl_batch_normalization_desc_t()
        var gradient = input.descriptor.raw
        try check(dnnl_batch_normalization_backward_desc_init(&backwardOperation, dnnl_backward, &gradient, &data, epsilon, scaleAndShift),
                  "dnnl_batch_normalization_backward_desc_init")
        let backwardDescriptor = try builder.primitiveDescriptor(&backwardOperation, hint: forwardDescriptor, name: "batch normalization backward")
        try builder.backward(backwardDescriptor, "batch normalization backward", [
            (DNNL_ARG_SRC, input.value), (DNNL_ARG_MEAN, batchMean), (DNNL_ARG_VARIANCE, batchVariance),
            (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_SCALE, scale.value), (DNNL_ARG_SHIFT, shift.value),
            (DNNL_ARG_DIFF_SRC, inputGradient), (DNNL_ARG_DIFF_SCALE, scaleGradient), (DNNL_ARG_DIFF_SHIFT, shiftGradient),
        ])
        return output
    }
}
