import CDNNL

/// `concat` (PyTorch `torch.cat(dim=1)`): two or more inputs named by `from:`, joined along channels
/// (images of one height and width) or features (flat vectors).
public final class Concat: Layer {
    public static let typeName = "concat"
    public static let joinsInputs = true
    public static let computesInBFloat16 = true

    public init(arguments: LayerArguments) throws {}

    public func build(input: Shape) throws -> LayerBuild { try build(inputs: [input]) }

    public func build(inputs: [Shape]) throws -> LayerBuild {
        let shown = inputs.map(\.description).joined(separator: " and ")
        guard inputs.allSatisfy({ $0.isImage == inputs[0].isImage }) else {
            throw ZooError("joins an image and a flat vector (\(shown))",
                           hint: "flatten the image inputs first, or join only images")
        }
        guard inputs.allSatisfy({ $0.dimensions.dropFirst() == inputs[0].dimensions.dropFirst() }) else {
            throw ZooError("joins images of different heights and widths (\(shown))",
                           hint: "concat joins along channels; every input needs the same height and width")
        }
        let channels = inputs.reduce(0) { $0 + $1.channels }
        return LayerBuild(output: Shape([channels] + inputs[0].dimensions.dropFirst()))
    }

    /// Forward: one oneDNN `concat`. Backward: each input's gradient is a channel slice of the output gradient,
    /// viewed in the plain layout (where any slice is a view) and reordered into the input's layout.
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let outputDimensions = context.outputShape.withBatch(builder.batchSize)
        let concat = try PrimitiveDescriptor(concatenating: context.inputs.map(\.descriptor), along: 1,
                                             into: .any(outputDimensions, dataType: context.dataType), device: builder.device)
        let output = try builder.activation(context.outputShape, descriptor: concat.memoryDescriptor(dnnl_query_dst_md))
        let arguments = context.inputs.enumerated().map { (DNNL_ARG_MULTIPLE_SRC + Int32($0.offset), $0.element.value) }
        try builder.forward(concat, "concat", arguments + [(DNNL_ARG_DST, output.value)])
        guard let outputGradient = output.gradient else { return output }
        let plainGradient = try builder.backwardConverted(outputGradient, to: .plain(outputDimensions, dataType: context.dataType))
        var offset = 0
        for input in context.inputs {
            let dimensions = input.shape.withBatch(builder.batchSize)
            defer { offset += input.shape.channels }
            guard let inputGradient = input.gradient else { continue }
            let slice = try plainGradient.descriptor.submemory(dimensions, offsets: [0, offset] + dimensions.dropFirst(2).map { _ in 0 })
            builder.backward(try builder.reorderStep(from: try builder.alias(plainGradient, as: slice), to: inputGradient))
        }
        return output
    }
}
