import CDNNL

/// `relu` (PyTorch `nn.ReLU`).
public final class ReLU: Layer {
    public static let typeName = "relu"
    public init(arguments: LayerArguments) throws {}
    public func build(input: Shape, random: inout SeededRandom) throws -> LayerBuild { sameShape(input) }
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileEltwise(context, algorithm: dnnl_eltwise_elu, backwardAlgorithm: dnnl_eltwise_relu_use_dst_for_bwd, alpha: 0, name: "relu")
    }
}
