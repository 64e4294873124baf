/// A compiled network for one batch size and mode: bound primitives, buffers allocated once.
/// Running it allocates nothing.
public final class Plan {
    let device: Device
    public let batchSize: Int
    public let training: Bool
    let input: Memory
    let inputGradient: Memory?
    let output: Memory
    let outputGradient: Memory?
    private let forwardSteps: [Step]
    private let backwardGroups: [BackwardGroup]
    /// Which oneDNN implementation each primitive got, for `zoo bench --verbose`.
    public let implementations: [(layer: String, operation: String, implementation: String)]
    private let captured: [(name: String, memory: Memory)]
    private let stepCounter: StepCounter

    init(device: Device, batchSize: Int, training: Bool, input: Memory, inputGradient: Memory?, output: Memory, outputGradient: Memory?,
         forwardSteps: [Step], backwardGroups: [BackwardGroup], implementations: [(layer: String, operation: String, implementation: String)],
         captured: [(name: String, memory: Memory)], stepCounter: StepCounter) {
        self.device = device
        self.batchSize = batchSize
        self.training = training
        self.input = input
        self.inputGradient = inputGradient
        self.output = output
        self.outputGradient = outputGradient
        self.forwardSteps = forwardSteps
        self.backwardGroups = backwardGroups
        self.implementations = implementations
        self.captured = captured
        self.stepCounter = stepCounter
    }

    /// The input batch, NCHW floats (plain layout), to fill before `forward()`.
    public func withInput<Result>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try input.withFloats { try body(UnsafeMutableBufferPointer(rebasing: $0.prefix(input.descriptor.byteCount / 4))) }
    }

    /// The network's output, `[batch, outputs]` row-major.
    public func withOutput<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) rethrows -> Result {
        try output.withFloats { try body(UnsafeBufferPointer(rebasing: $0.prefix(output.descriptor.byteCount / 4))) }
    }

    /// The loss gradient with respect to the output, written by a `Loss` before `backward()`.
    public func withOutputGradient<Result>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> Result) throws -> Result {
        guard let outputGradient else { throw ZooError("an inference plan has no output gradient") }
        return try outputGradient.withFloats { try body(UnsafeMutableBufferPointer(rebasing: $0.prefix(outputGradient.descriptor.byteCount / 4))) }
    }

    /// d(loss)/d(input), when the plan was made with `inputGradient: true`.
    public func withInputGradient<Result>(_ body: (UnsafeBufferPointer<Float>) throws -> Result) throws -> Result {
        guard let inputGradient else { throw ZooError("this plan was made without an input gradient") }
        return try inputGradient.withFloats { try body(UnsafeBufferPointer(rebasing: $0.prefix(inputGradient.descriptor.byteCount / 4))) }
    }

    /// The layers whose outputs this plan captures (`Network.plan(capturing:)`), in network order.
    public var capturedLayerNames: [String] { captured.map(\.name) }

    /// A captured layer's output from the last `forward()`, in PyTorch's layout: `shape` is `[batch, channels, height,
    /// width]` (or `[batch, features]`), the values row-major float32 whatever layout and precision the plan ran in.
    public func withCapturedOutput<Result>(of layer: String, _ body: (_ shape: [Int], _ values: UnsafeBufferPointer<Float>) throws -> Result) throws -> Result {
        guard let memory = captured.first(where: { $0.name == layer })?.memory else {
            throw ZooError("this plan does not capture layer `\(layer)`",
                           hint: "name it in `plan(batchSize:training:capturing:)`; this plan captures \(captured.isEmpty ? "none" : capturedLayerNames.joined(separator: ", "))")
        }
        return try memory.withFloats { try body(memory.descriptor.dimensions, UnsafeBufferPointer(rebasing: $0.prefix(memory.descriptor.byteCount / 4))) }
    }

    public func forward() throws {
        for step in forwardSteps { try step.run(on: device) }
        try device.wait()
    }

    /// Fills every parameter's gradient (overwriting, as after PyTorch's `zero_grad`), layer by layer from
    /// the last; `parametersReady` hears of each layer's parameters once their gradients are final
    /// (data-parallel training starts summing them while backward goes on).
    public func backward(parametersReady: (([Parameter]) throws -> Void)? = nil) throws {
        guard training else { throw ZooError("backward() needs a training plan") }
        for group in backwardGroups {
            for step in group.steps { try step.run(on: device) }
            guard let parametersReady, !group.parameters.isEmpty else { continue }
            try device.wait()
            try parametersReady(group.parameters)
        }
        try device.wait()
        stepCounter.step += 1
    }
}
