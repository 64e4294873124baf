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

/// Shape rule of every layer that keeps its input's shape.
func sameShape(_ input: Shape) -> LayerBuild { LayerBuild(output: input) }
