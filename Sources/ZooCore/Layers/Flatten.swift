/// `flatten` (PyTorch `nn.Flatten`): C x H x W becomes C*H*W features, in C, H, W order.
/// A plain input is reinterpreted in place; a blocked one is reordered to plain first.
public final class Flatten: Layer {
    public static let typeName = "flatten"
    public static let int8Support = Int8Support.keepingScale
    public static let computesInBFloat16 = true
    public init(arguments: LayerArguments) throws {}

    public func build(input: Shape) throws -> LayerBuild {
        LayerBuild(output: Shape([input.elementCount]))
    }

    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let input = context.input
        guard !context.inputShape.isFlat else { return input }
        let plainImage = try MemoryDescriptor.plain(context.inputShape.withBatch(builder.batchSize), dataType: context.dataType)
        let flat = try MemoryDescriptor.plain(context.outputShape.withBatch(builder.batchSize), dataType: context.dataType)
        let plainValue = try builder.forwardConverted(input.value, to: plainImage)
        let value = try builder.alias(plainValue, as: flat)
        guard let inputGradient = input.gradient else { return Activation(shape: context.outputShape, value: value, gradient: nil) }
        if inputGradient.descriptor == plainImage {
            return Activation(shape: context.outputShape, value: value, gradient: try builder.alias(inputGradient, as: flat))
        }
        let gradient = try builder.sharedActivationBuffer(flat)
        let step = try builder.reorderStep(from: try builder.alias(gradient, as: plainImage), to: inputGradient)
        builder.backward { [device = builder.device] in try step.run(on: device) }
        return Activation(shape: context.outputShape, value: value, gradient: gradient)
    }
}
