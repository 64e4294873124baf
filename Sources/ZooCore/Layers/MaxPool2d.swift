import CDNNL

/// `maxpool2d` (PyTorch `nn.MaxPool2d`): `- maxpool2d: 2` or `{kernel, stride, padding}`.
public final class MaxPool2d: WindowPooling {
    public static let typeName = "maxpool2d"
    let window: PoolingWindow

    public init(arguments: LayerArguments) throws { window = try PoolingWindow(arguments) }

    public func build(input: Shape) throws -> LayerBuild { LayerBuild(output: try window.output(for: input)) }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        if let kernel = MaxPoolingKernel(window: window, input: context.input.descriptor, output: context.outputShape,
                                         parts: OpenMPThreads.maximum) {
            return try builder.compileMaxPooling(kernel, context)
        }
        return try builder.compilePooling(context, window: window, algorithm: dnnl_pooling_max, name: "max pooling")
    }
}
