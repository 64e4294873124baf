import CDNNL

/// `silu` (PyTorch `nn.SiLU`): x * sigmoid(x), oneDNN's swish with alpha 1.
public final class SiLU: Layer {
    public static let typeName = "silu"
    public init(arguments: LayerArguments) throws {}
    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileEltwise(context, algorithm: dnnl_eltwise_swish, alpha: 1, name: "silu")
    }
}
