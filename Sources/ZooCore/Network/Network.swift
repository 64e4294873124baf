/// A sequential network: layer descriptions plus an input shape, shape-checked at once, compiled into
/// one `Plan` per batch size and mode on demand. Parameters are shared by all plans.
public final class Network {
    /// One layer with everything shape inference found out about it.
    public struct Entry {
        public let layer: any Layer
        public let description: LayerDescription
        /// The layer's name if it has one, else its index: the prefix of its parameters, as in `nn.Sequential`.
        public let name: String
        public let inputShape: Shape
        public let outputShape: Shape
        public let multiplyAccumulates: Int
        public let parameters: [Parameter]
    }

    public let entries: [Entry]
    public let inputShape: Shape
    public let outputShape: Shape
    public let seed: UInt64
    let device: Device
    let stepCounter = StepCounter()
    private var plans: [PlanKey: Plan] = [:]

    private struct PlanKey: Hashable {
        let batchSize: Int
        let training: Bool
        let inputGradient: Bool
    }

    public init(layers descriptions: [LayerDescription], inputShape: Shape, seed: UInt64 = 0) throws {
        let device = try Device()
        self.device = device
        self.inputShape = inputShape
        self.seed = seed
        var shape = inputShape
        var entries: [Entry] = []
        var usedNames: [String: LayerDescription] = [:]
        for (index, description) in descriptions.enumerated() {
            let name = description.name ?? String(index)
            if let earlier = usedNames[name] {
                throw ZooError("two layers are named `\(name)`", at: description.location,
                               hint: "the first is at \(earlier.location.map(String.init(describing:)) ?? "layer \(name)"); layer names must be unique")
            }
            usedNames[name] = description
            let layer = try LayerRegistry.makeLayer(description)
            var random = SeededRandom(seed: seed, streams: UInt64(index))
            let build: LayerBuild
            do {
                build = try layer.build(input: shape, random: &random)
            } catch let error as ZooError {
                let journey = index == 0
                    ? "its input is the network input \(inputShape)"
                    : "the network input \(inputShape) becomes \(shape) after layer \(index - 1) (\(descriptions[index - 1].type))"
                throw ZooError("layer \(index) (\(description.type)) \(error.message); \(journey)",
                               at: error.location ?? description.location, hint: error.hint)
            }
            let parameters = try build.parameters.map { try Parameter($0, device: device) }
            entries.append(Entry(layer: layer, description: description, name: name, inputShape: shape, outputShape: build.output,
                                 multiplyAccumulates: build.multiplyAccumulates, parameters: parameters))
            shape = build.output
        }
        self.entries = entries
        outputShape = shape
    }

    /// Every parameter and buffer under its PyTorch `state_dict` name, in module order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        entries.flatMap { entry in entry.parameters.map { ("\(entry.name).\($0.name)", $0) } }
    }

    public var trainableParameters: [Parameter] { entries.flatMap { $0.parameters.filter(\.isTrainable) } }

    /// Trainable values, as PyTorch's `sum(p.numel() for p in model.parameters())` counts them.
    public var parameterCount: Int { trainableParameters.map(\.elementCount).reduce(0, saturatingSum) }

    public var multiplyAccumulates: Int { entries.map(\.multiplyAccumulates).reduce(0, saturatingSum) }

    public func parameter(named name: String) -> Parameter? { namedParameters.first { $0.name == name }?.parameter }

    /// Dropout masks depend on the seed and this count, so a resumed run repeats exactly.
    public var trainingStep: UInt64 {
        get { stepCounter.step }
        set { stepCounter.step = newValue }
    }

    /// The compiled plan for this batch size and mode, made on first use and kept.
    /// `inputGradient` also computes d(loss)/d(input) (for tests and saliency; training does not need it).
    public func plan(batchSize: Int, training: Bool, inputGradient: Bool = false) throws -> Plan {
        let key = PlanKey(batchSize: batchSize, training: training, inputGradient: inputGradient && training)
        if let plan = plans[key] { return plan }
        guard batchSize > 0 else { throw ZooError("the batch size must be at least 1, not \(batchSize)") }
        try MemoryBudget.checkPlan(self, batchSize: batchSize, training: training)
        let plan = try compile(batchSize: batchSize, training: training, inputGradient: key.inputGradient)
        plans[key] = plan
        return plan
    }

    private func compile(batchSize: Int, training: Bool, inputGradient: Bool) throws -> Plan {
        // Channels padded to a block of 16 are the largest layout oneDNN uses for an activation.
        let shapes: [Shape] = [inputShape] + entries.map(\.outputShape)
        let largestSample = shapes.map { (shape: Shape) -> Int in (shape.channels + 15) / 16 * 16 * shape.height * shape.width }.max() ?? 0
        let builder = try PlanBuilder(device: device, batchSize: batchSize, training: training, randomSeed: seed,
                                      stepCounter: stepCounter, largestActivationBytes: largestSample * batchSize * 4)
        let input = try builder.memory(try .plain(inputShape.withBatch(batchSize)))
        let inputGradientMemory = inputGradient ? try builder.memory(input.descriptor) : nil
        var activation = Activation(shape: inputShape, value: input, gradient: inputGradientMemory)
        var appliedByPrevious = false
        var reluBackwardPending = false
        for (index, entry) in entries.enumerated() {
            defer { builder.finishLayer() }
            // A ReLU fused into the conv or linear before it: that layer's output is already this one's.
            if appliedByPrevious {
                appliedByPrevious = false
                activation = Activation(shape: entry.outputShape, value: activation.value, gradient: activation.gradient)
                continue
            }
            let fusesReLU = type(of: entry.layer).fusesFollowingReLU && index + 1 < entries.count && entries[index + 1].layer is ReLU
            let poolingFollows = fusesReLU && index + 2 < entries.count && entries[index + 2].layer is MaxPool2d
            builder.currentLayerName = entry.name
            let context = LayerContext(index: index, name: entry.name, input: activation, inputShape: entry.inputShape,
                                       outputShape: entry.outputShape,
                                       parameters: Dictionary(uniqueKeysWithValues: entry.parameters.map { ($0.name, $0) }),
                                       fusesReLU: fusesReLU, reluBackwardAfterPooling: poolingFollows,
                                       appliesReLUBackward: reluBackwardPending)
            activation = try entry.layer.compile(builder, context)
            appliedByPrevious = fusesReLU
            reluBackwardPending = poolingFollows
        }
        // Losses and users read a plain row-major output.
        builder.currentLayerName = "output"
        let plainOutput = try MemoryDescriptor.plain(outputShape.withBatch(batchSize))
        let output = try builder.forwardConverted(activation.value, to: plainOutput)
        var outputGradient: Memory?
        if let gradient = activation.gradient {
            outputGradient = gradient.descriptor == plainOutput ? gradient : try builder.memory(plainOutput)
            if let outputGradient, outputGradient !== gradient {
                let step = try builder.reorderStep(from: outputGradient, to: gradient)
                builder.backward { [device] in try step.run(on: device) }
            }
            builder.finishLayer()
        }
        return try builder.finish(input: input, inputGradient: inputGradientMemory, output: output, outputGradient: outputGradient)
    }
}
