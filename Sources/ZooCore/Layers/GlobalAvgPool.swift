import CDNNL

/// `global_avgpool`: the mean of each channel, C x H x W to C x 1 x 1 (PyTorch `nn.AdaptiveAvgPool2d(1)`).
public final class GlobalAvgPool: Layer {
    public static let typeName = "global_avgpool"
    public static let int8Support = Int8Support.keepingScale
    public static let computesInBFloat16 = true
    private var window = PoolingWindow(kernelSize: (1, 1))

    public init(arguments: LayerArguments) throws {}

    public func build(input: Shape) throws -> LayerBuild {
        guard input.isImage else {
            throw ZooError("needs an image input (channels x height x width), but its input is \(input.channels) flat features")
        }
        window = PoolingWindow(kernelSize: (input.height, input.width))
        return LayerBuild(output: Shape([input.channels, 1, 1]), multiplyAccumulates: input.elementCount)
    }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        try builder.compilePooling(context, window: window, algorithm: dnnl_pooling_avg_exclude_padding, name: "global average pooling")
    }
}
