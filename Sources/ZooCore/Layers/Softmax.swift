import CDNNL

extension PlanBuilder {
    /// Softmax or log-softmax over the features (PyTorch dim=1), on a plain layout.
    func compileSoftmax(_ context: LayerContext, logarithmic: Bool) throws -> Activation {
        let name = logarithmic ? "log_softmax" : "softmax"
        let plain = try MemoryDescriptor.plain(context.inputShape.withBatch(batchSize))
        let source = try forwardConverted(context.input.value, to: plain)
        var forwardOperation = dnnl_softmax_desc_t()
        var data = plain.raw
        let initForward = logarithmic ? dnnl_logsoftmax_forward_desc_init : dnnl_softmax_forward_desc_init
        try check(initForward(&forwardOperation, propagation, &data, 1), "dnnl_\(name)_forward_desc_init")
        let forwardDescriptor = try primitiveDescriptor(&forwardOperation, name: name)
        let output = try activation(context.outputShape, descriptor: plain)
        try forward(forwardDescriptor, name, [(DNNL_ARG_SRC, source), (DNNL_ARG_DST, output.value)])

        guard let inputGradient = context.input.gradient, let outputGradient = output.gradient else { return output }
        var backwardOperation = dnnl_softmax_desc_t()
        var gradient = plain.raw
        let initBackward = logarithmic ? dnnl_logsoftmax_backward_desc_init : dnnl_softmax_backward_desc_init
        try check(initBackward(&backwardOperation, &gradient, &data, 1), "dnnl_\(name)_backward_desc_init")
        let backwardDescriptor = try primitiveDescriptor(&backwardOperation, hint: forwardDescriptor, name: "\(name) backward")
        try backward(writingInto: inputGradient, as: plain) { target in
            try backward(backwardDescriptor, "\(name) backward",
                         [(DNNL_ARG_DST, output.value), (DNNL_ARG_DIFF_DST, outputGradient), (DNNL_ARG_DIFF_SRC, target)])
        }
        return output
    }
}

/// `softmax` (PyTorch `nn.Softmax(dim=1)`).
public final class Softmax: Layer {
    public static let typeName = "softmax"
    public init(arguments: LayerArguments) throws {}
    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileSoftmax(context, logarithmic: false)
    }
}
