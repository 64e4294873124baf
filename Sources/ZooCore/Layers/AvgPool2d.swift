import CDNNL

/// `avgpool2d` (PyTorch `nn.AvgPool2d`, counting padding in the divisor as PyTorch does by default).
public final class AvgPool2d: WindowPooling {
    public static let typeName = "avgpool2d"
    let window: PoolingWindow

    public init(arguments: LayerArguments) throws { window = try PoolingWindow(arguments) }

    public func build(input: Shape) throws -> LayerBuild {
        let output = try window.output(for: input)
        return LayerBuild(output: output, multiplyAccumulates: saturatingProduct([output.elementCount, window.kernelSize.height, window.kernelSize.width]))
    }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compilePooling(context, window: window, algorithm: dnnl_pooling_avg_include_padding, name: "average pooling")
    }
}
