import CDNNL

/// `add` (PyTorch `x + y`): the element-wise sum of two or more inputs of one shape, named by `from:`.
public final class Add: Layer {
    public static let typeName = "add"
    public static let int8Support = Int8Support.rescaling
    public static let joinsInputs = true
    public static let computesInBFloat16 = true

    public init(arguments: LayerArguments) throws {}

    public func build(input: Shape) throws -> LayerBuild { try build(inputs: [input]) }

    public func build(inputs: [Shape]) throws -> LayerBuild {
        guard inputs.allSatisfy({ $0 == inputs[0] }) else {
            throw ZooError("adds inputs of different shapes (\(inputs.map(\.description).joined(separator: " and ")))",
                           hint: "every input of `add` must have the same shape; a shortcut that changes the shape needs a 1x1 conv2d with the same stride")
        }
        return LayerBuild(output: inputs[0], multiplyAccumulates: 0)
    }

    /// Forward: one oneDNN sum in the first input's layout; with an epilogue (the fused ReLU at the end of every
    /// residual block), one binary add with it as a post-op, whose backward then runs here on the output.
    /// Backward: the output gradient (before the epilogue) is each input's gradient. The first input's gradient
    /// buffer serves as that gradient, so only the others get a copy.
    public func compile(_ builder: PlanBuilder, _ context: LayerContext) throws -> Activation {
        if let quantized = context.quantized { return try builder.compileQuantizedAdd(context, quantized) }
        let first = context.inputs[0]
        let runsEpilogue = context.epilogue != .none
        let reusesFirstGradient = builder.training && first.gradient?.descriptor == first.descriptor && !runsEpilogue
        let output = reusesFirstGradient
            ? Activation(shape: context.outputShape, value: try builder.memory(first.descriptor), gradient: first.gradient)
            : try builder.activation(context.outputShape, descriptor: first.descriptor)
        // The fused add reads both inputs in one layout.
        let values = try runsEpilogue ? context.inputs.map { try builder.forwardConverted($0.value, to: first.descriptor) } : context.inputs.map(\.value)
        builder.forward(try builder.sumStep(values, into: output.value, postOps: try context.epilogue.postOps()))
        guard runsEpilogue, let outputGradient = output.gradient else {
            try copyGradient(output, to: context.inputs.dropFirst(reusesFirstGradient ? 1 : 0), builder)
            return output
        }
        // The gradient before the epilogue lands in the first input's gradient (when it has one), then is copied to the others.
        let beforeEpilogue = try first.gradient ?? builder.memory(outputGradient.descriptor)
        try builder.backward(writingInto: beforeEpilogue, as: outputGradient.descriptor) { staging in
            try builder.backwardEpilogue(context.epilogue, output: output.value, outputGradient: outputGradient, inputGradient: staging)
        }
        try copyGradient(Activation(shape: context.outputShape, value: output.value, gradient: beforeEpilogue), to: context.inputs.dropFirst(), builder)
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
