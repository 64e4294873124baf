/// `log_softmax` (PyTorch `nn.LogSoftmax(dim=1)`); pair it with the `nll` loss.
public final class LogSoftmax: Layer {
    public static let typeName = "log_softmax"
    public init(arguments: LayerArguments) throws {}
    public func build(input: Shape) throws -> LayerBuild { sameShape(input) }
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compileSoftmax(context, logarithmic: true)
    }
}
