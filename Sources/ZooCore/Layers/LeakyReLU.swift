import CDNNL

/// `leaky_relu` (PyTorch `nn.LeakyReLU`), with `slope` for negative inputs.
public final class LeakyReLU: Layer {
    public static let typeName = "leaky_relu"
    public static let computesInBFloat16 = true
    public static let argumentNames = ["slope"]
    public static let primaryArgument: String? = "slope"
    let slope: Float

    public init(arguments: LayerArguments) throws {
        slope = Float(try arguments.double("slope", default: 0.01, in: 0...1))
    }

    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileEltwise(context, algorithm: dnnl_eltwise_relu, alpha: slope, name: "leaky_relu")
    }
}
