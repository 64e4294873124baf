import CDNNL

/// `add` (PyTorch `x + y`): the element-wise sum of two or more inputs of one shape, named by `from:`.
public final class Add: Layer {
    public static let typeName = "add"
    public static let joinsInputs = true

    public init(arguments: LayerArguments) throws {}

    public func build(input: Shape, random: inout SeededRandom) throws -> LayerBuild { try build(inputs: [input], random: &random) }

    public func build(inputs: [Shape], random: inout SeededRandom) throws -> LayerBuild {
        guard inputs.allSatisfy({ $0 == inputs[0] }) else {
            throw ZooError("adds inputs of different shapes (\(inputs.map(\.description).joined(separator: " and ")))",
                           hint: "every input of `add` must have the same shape; a shortcut that changes the shape needs a 1x1 conv2d with the same stride")
        }
        return LayerBuild(output: inputs[0], multiplyAccumulates: 0)
    }

    /// Forward: one oneDNN `sum`. Backward: the output gradient is each input's gradient, copied into its layout.
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let sum = try PrimitiveDescriptor(sumOf: context.inputs.map(\.descriptor),
                                          into: .any(context.outputShape.withBatch(builder.batchSize)), device: builder.device)
        let output = try builder.activation(context.outputShape, descriptor: sum.memoryDescriptor(dnnl_query_dst_md))
        builder.forward(try builder.sumStep(context.inputs.map(\.value), into: output.value))
        guard let outputGradient = output.gradient else { return output }
        for input in context.inputs {
            guard let inputGradient = input.gradient else { continue }
            builder.backward(try builder.reorderStep(from: outputGradient, to: inputGradient))
        }
        return output
    }
}
