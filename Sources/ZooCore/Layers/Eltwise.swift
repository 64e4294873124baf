import CDNNL

extension PlanBuilder {
    /// An activation function as one oneDNN eltwise primitive, in the input's own layout.
    /// With `backwardFromOutput`, backward reads the output (relu, sigmoid, tanh allow it), so the input need not be kept.
    func compileEltwise(_ context: LayerContext, algorithm: dnnl_alg_kind_t, backwardAlgorithm: dnnl_alg_kind_t? = nil,
                        alpha: Float = 0, name: String) throws -> Activation {
        let input = context.input
        var forwardOperation = dnnl_eltwise_desc_t()
        var data = input.descriptor.raw
        try check(dnnl_eltwise_forward_desc_init(&forwardOperation, propagation, algorithm, &data, alpha, 0), "dnnl_eltwise_forward_desc_init(\(name))")
        let forwardDescriptor = try primitiveDescriptor(&forwardOperation, name: name)
        let output = try activation(context.outputShape, descriptor: input.descriptor)
        try forward(forwardDescriptor, name, [(DNNL_ARG_SRC, input.value), (DNNL_ARG_DST, output.value)])

        guard let inputGradient = input.gradient, let outputGradient = output.gradient else { return output }
        var backwardOperation = dnnl_eltwise_desc_t()
        var gradient = input.descriptor.raw
        try check(dnnl_eltwise_backward_desc_init(&backwardOperation, backwardAlgorithm ?? algorithm, &gradient, &data, alpha, 0),
                  "dnnl_eltwise_backward_desc_init(\(name))")
        let backwardDescriptor = try primitiveDescriptor(&backwardOperation, hint: forwardDescriptor, name: "\(name) backward")
        let dataArgument = backwardAlgorithm == nil ? (DNNL_ARG_SRC, input.value) : (DNNL_ARG_DST, output.value)
        try backward(backwardDescriptor, "\(name) backward",
                     [dataArgument, (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_DIFF_SRC, inputGradient)])
        return output
    }
}

extension PlanBuilder {
    /// ReLU's backward computed from its output, for a ReLU fused into the layer before it.
    /// The NaN-keeping ReLU (ELU with alpha 0, as the `relu` layer) as a forward step, in place.
    func reluInPlace(_ memory: Memory) throws {
        var data = memory.descriptor.raw
        var operation = dnnl_eltwise_desc_t()
        try check(dnnl_eltwise_forward_desc_init(&operation, propagation, dnnl_eltwise_elu, &data, 0, 0), "dnnl_eltwise_forward_desc_init(relu)")
        try forward(try primitiveDescriptor(&operation, name: "relu"), "relu", [(DNNL_ARG_SRC, memory), (DNNL_ARG_DST, memory)])
    }

    func reluBackwardFromOutput(output: Memory, outputGradient: Memory, inputGradient: Memory) throws {
        var data = output.descriptor.raw
        var forwardOperation = dnnl_eltwise_desc_t()
        try check(dnnl_eltwise_forward_desc_init(&forwardOperation, dnnl_forward_training, dnnl_eltwise_relu_use_dst_for_bwd, &data, 0, 0),
                  "dnnl_eltwise_forward_desc_init(fused relu)")
        let hint = try primitiveDescriptor(&forwardOperation, name: "fused relu")
        var backwardOperation = dnnl_eltwise_desc_t()
        var gradient = outputGradient.descriptor.raw
        try check(dnnl_eltwise_backward_desc_init(&backwardOperation, dnnl_eltwise_relu_use_dst_for_bwd, &gradient, &data, 0, 0),
                  "dnnl_eltwise_backward_desc_init(fused relu)")
        let descriptor = try primitiveDescriptor(&backwardOperation, hint: hint, name: "fused relu backward")
        try backward(descriptor, "fused relu backward",
                     [(DNNL_ARG_DST, output), (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_DIFF_SRC, inputGradient)])
    }
}

/// Shape rule of every layer that keeps its input's shape.
func sameShape(_ input: Shape) -> LayerBuild { LayerBuild(output: input) }
