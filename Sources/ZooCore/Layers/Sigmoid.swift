import CDNNL

/// `sigmoid` (PyTorch `nn.Sigmoid`).
public final class Sigmoid: Layer {
    public static let typeName = "sigmoid"
    public static let computesInBFloat16 = true
    public init(arguments: LayerArguments) throws {}
    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileEltwise(context, algorithm: dnnl_eltwise_logistic, backwardAlgorithm: dnnl_eltwise_logistic_use_dst_for_bwd, name: "sigmoid")
    }
}
