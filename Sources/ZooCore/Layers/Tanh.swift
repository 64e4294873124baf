import CDNNL

/// `tanh` (PyTorch `nn.Tanh`).
public final class Tanh: Layer {
    public static let typeName = "tanh"
    public static let computesInBFloat16 = true
    public init(arguments: LayerArguments) throws {}
    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileEltwise(context, algorithm: dnnl_eltwise_tanh, backwardAlgorithm: dnnl_eltwise_tanh_use_dst_for_bwd, name: "tanh")
    }
}
