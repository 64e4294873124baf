import CDNNL

/// `relu` (PyTorch `nn.ReLU`).
public final class ReLU: Layer {
    public static let typeName = "relu"
    public static let computesInBFloat16 = true
    public init(arguments: LayerArguments) throws {}
    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }
    /// oneDNN's ReLU kernels compute max(x, 0), which turns NaN into 0 and hides a diverged run; ELU with
    /// alpha 0 (x if x > 0, else 0 * (exp(x) - 1)) is the same function except that NaN stays NaN, as in PyTorch.
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileEltwise(context, algorithm: dnnl_eltwise_elu, backwardAlgorithm: dnnl_eltwise_relu_use_dst_for_bwd, alpha: 0, name: "relu")
    }
}
