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

    /// Forward: one oneDNN `sum`, in the first input's layout. Backward: the output gradient is each input's
    /// gradient. The first input's gradient buffer serves as the output's, so only the others get a copy.
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        let first = context.inputs[0]
        let reusesFirstGradient = builder.training && first.gradient?.descriptor == first.descriptor
        let output = reusesFirstGradient
            ? Activation(shape: context.outputShape, value: try builder.memory(first.descriptor), gradient: first.gradient)
            : try builder.activation(context.outputShape, descriptor: first.descriptor)
        builder.forward(try builder.sumStep(context.inputs.map(\.value), into: output.value))
        try copyGradient(output, to: context.inputs.dropFirst(reusesFirstGradient ? 1 : 0), builder)
        return output
    }

    private func copyGradient(_ output: Activation, to inputs: some Collection<Activation>, _ builder: PlanBuilder) throws {
        guard let outputGradient = output.gradient else { return }
        for input in inputs {
            guard let inputGradient = input.gradient else { continue }
            builder.backward(try builder.reorderStep(from: outputGradient, to: inputGradient))
        }
    }
}
