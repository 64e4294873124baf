import CDNNL

/// `gelu` (PyTorch `nn.GELU()`, its default exact form x * Φ(x) with the error function, not the tanh approximation).
public final class GELU: Layer {
    public static let typeName = "gelu"
    public init(arguments: LayerArguments) throws {}
    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileEltwise(context, algorithm: dnnl_eltwise_gelu_erf, name: "gelu")
    }
}
