import CDNNL

/// `linear`: a fully connected layer (PyTorch `nn.Linear`); its input size is inferred.
public final class Linear: Layer {
    public static let typeName = "linear"
    public static let int8Support = Int8Support.rescaling
    public static let argumentNames = ["out", "bias"]
    public static let primaryArgument: String? = "out"
    public static let fusesFollowingReLU = true
    public static let computesInBFloat16 = true

    let outputFeatures: Int
    let hasBias: Bool

    public init(arguments: LayerArguments) throws {
        outputFeatures = try arguments.int("out")
        hasBias = try arguments.bool("bias", default: true)
    }

    public func build(input: Shape) throws -> LayerBuild {
        guard input.isFlat else {
            throw ZooError("needs flat features, but its input is the image \(input)",
                           hint: "add `- flatten` before it (it would then take \(input.elementCount) features)")
        }
        return LayerBuild(
            output: Shape([outputFeatures]),
            parameters: defaultWeights(shape: [outputFeatures, input.channels], fanIn: input.channels, hasBias: hasBias),
            multiplyAccumulates: saturatingProduct([outputFeatures, input.channels]))
    }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let operation = WeightedOperation<dnnl_inner_product_desc_t>(
            kind: "inner product",
            forward: { propagation, source, weights, bias, destination in
                var descriptor = dnnl_inner_product_desc_t()
                var (source, weights, destination) = (source.raw, weights.raw, destination.raw)
                try withOptionalDescriptor(bias) { bias in
                    try check(dnnl_inner_product_forward_desc_init(&descriptor, propagation, &source, &weights, bias, &destination),
                              "dnnl_inner_product_forward_desc_init")
                }
                return descriptor
            },
            backwardData: { sourceGradient, weights, destinationGradient in
                var descriptor = dnnl_inner_product_desc_t()
                var (sourceGradient, weights, destinationGradient) = (sourceGradient.raw, weights.raw, destinationGradient.raw)
                try check(dnnl_inner_product_backward_data_desc_init(&descriptor, &sourceGradient, &weights, &destinationGradient),
                          "dnnl_inner_product_backward_data_desc_init")
                return descriptor
            },
            backwardWeights: { source, weightsGradient, biasGradient, destinationGradient in
                var descriptor = dnnl_inner_product_desc_t()
                var (source, weightsGradient, destinationGradient) = (source.raw, weightsGradient.raw, destinationGradient.raw)
                try withOptionalDescriptor(biasGradient) { biasGradient in
                    try check(dnnl_inner_product_backward_weights_desc_init(&descriptor, &source, &weightsGradient, biasGradient,
                                                                            &destinationGradient),
                              "dnnl_inner_product_backward_weights_desc_init")
                }
                return descriptor
            })
        return try builder.compileWeighted(operation, context, hasBias: hasBias,
                                           sourceDimensions: context.inputShape.withBatch(builder.batchSize),
                                           outputDimensions: context.outputShape.withBatch(builder.batchSize))
    }
}
