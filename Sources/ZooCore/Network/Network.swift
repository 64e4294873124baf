/// A network: a directed acyclic graph of layers in topological order (a layer reads only earlier layers'
/// outputs), shape-checked at once, compiled into one `Plan` per batch size and mode on demand.
/// Parameters are shared by all plans.
public final class Network {
    /// One layer with its shapes and its allocated parameters.
    public typealias Entry = LayerEntry<Parameter>

    public let entries: [Entry]
    public let inputShape: Shape
    public let outputShape: Shape
    public let seed: UInt64
    /// What the next plans compute in; plans made before a change stay as they were.
    public var precision = Precision.fp32
    /// The int8 weights and activation ranges an `int8` plan needs (`zoo quantize`); set it before the first int8 plan.
    public var quantization: NetworkQuantization?
    let device: Device
    let stepCounter = StepCounter()
    private let graph: Graph
    private var plans: [PlanKey: Plan] = [:]
    var hasPlans: Bool { !plans.isEmpty }

    private struct PlanKey: Hashable {
        let batchSize: Int
        let training: Bool
        let inputGradient: Bool
        let precision: Precision
        let captured: [Int]
    }

    /// A network from layer descriptions; unknown types and settings are errors at their lines.
    public convenience init(layers descriptions: [LayerDescription], inputShape: Shape, seed: UInt64 = 0) throws {
        try self.init(shapes: try NetworkShapes(layers: descriptions, inputShape: inputShape), seed: seed)
    }

    /// A network from layers already made from their descriptions (the config layer makes each once).
    public convenience init(built layers: [(description: LayerDescription, layer: any Layer)], inputShape: Shape, seed: UInt64 = 0) throws {
        try self.init(shapes: try NetworkShapes(built: layers, inputShape: inputShape), seed: seed)
    }

    /// Allocates and initialises the parameters shape inference asked for, layer by layer, each charged to the
    /// memory budget before its values are drawn; each layer draws from a random stream of its own.
    public init(shapes: NetworkShapes, seed: UInt64 = 0) throws {
        let device = try Device()
        self.device = device
        inputShape = shapes.inputShape
        outputShape = shapes.outputShape
        self.seed = seed
        entries = try shapes.entries.enumerated().map { index, entry in
            var random = SeededRandom(seed: seed, streams: UInt64(index))
            do {
                return entry.withParameters(try entry.parameters.map { try Parameter($0, device: device, random: &random) })
            } catch let error as ZooError {
                throw ZooError("layer \(entry.name) (\(entry.description.type)) \(error.message)", at: error.location ?? entry.description.location,
                               hint: error.hint)
            }
        }
        graph = Graph(entries)
    }

    /// A replica for another thread (see `CoreParallel`): the same layers, trainable parameters sharing the
    /// original's values (whose layouts its first plan fixed), gradients, buffers, plans and stream of its own.
    /// `seed` gives its dropout masks a stream of their own.
    package init(replicating original: Network, seed: UInt64) throws {
        let device = try Device(sharingEngineOf: original.device)
        self.device = device
        inputShape = original.inputShape
        outputShape = original.outputShape
        self.seed = seed
        precision = original.precision
        quantization = original.quantization
        graph = original.graph
        entries = try original.entries.map { entry in
            entry.withParameters(try entry.parameters.map { [device] in try Parameter(replicating: $0, device: device) })
        }
    }

    /// Every parameter and buffer under its PyTorch `state_dict` name, in module order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        entries.flatMap { entry in entry.parameters.map { ("\(entry.name).\($0.name)", $0) } }
    }

    /// The parameters training updates: trainable and not frozen.
    public var trainableParameters: [Parameter] { entries.flatMap { $0.parameters.filter(\.requiresGradient) } }

    /// Trainable values, frozen ones included, as PyTorch's `sum(p.numel() for p in model.parameters())` counts them.
    public var parameterCount: Int {
        entries.flatMap { $0.parameters.filter(\.isTrainable) }.map(\.elementCount).reduce(0, saturatingSum)
    }

    public var multiplyAccumulates: Int { entries.map(\.multiplyAccumulates).reduce(0, saturatingSum) }

    public func parameter(named name: String) -> Parameter? { namedParameters.first { $0.name == name }?.parameter }

    /// Dropout masks depend on the seed and this count, so a resumed run repeats exactly.
    public var trainingStep: UInt64 {
        get { stepCounter.step }
        set { stepCounter.step = newValue }
    }

    /// The compiled plan for this batch size and mode, made on first use and kept.
    /// `inputGradient` also computes d(loss)/d(input) (for tests and saliency; training does not need it).
    /// `capturing` names layers whose outputs the plan copies out after each `forward()`, as PyTorch forward hooks on
    /// those modules see them (`Plan.withCapturedOutput`). Such a layer keeps the ReLU after it unfused, so a conv's
    /// output is before its ReLU, as `nn.Conv2d`'s is; capture the ReLU for the value after it.
    public func plan(batchSize: Int, training: Bool, inputGradient: Bool = false, capturing layerNames: [String] = []) throws -> Plan {
        let captured = try layerIndices(layerNames)
        let key = PlanKey(batchSize: batchSize, training: training, inputGradient: inputGradient && training, precision: precision, captured: captured)
        if let plan = plans[key] { return plan }
        guard batchSize > 0 else { throw ZooError("the batch size must be at least 1, not \(batchSize)") }
        try precision.checkSupported()
        if precision == .int8 {
            guard !training else { throw ZooError("int8 is for inference only; train in fp32 or bf16, then quantize with `zoo quantize`") }
            guard quantization != nil else {
                throw ZooError("int8 inference needs a quantized checkpoint", hint: "make one with `zoo quantize CHECKPOINT OUT.safetensors`")
            }
        }
        let capturedBytes = captured.reduce(0) { saturatingSum($0, saturatingProduct([entries[$1].outputShape.elementCount, MemoryLayout<Float>.size])) }
        try MemoryBudget.checkPlan(self, batchSize: batchSize, training: training, capturedBytesPerImage: capturedBytes)
        let plan = try compile(batchSize: batchSize, training: training, inputGradient: key.inputGradient, captured: Set(captured))
        plans[key] = plan
        return plan
    }

    /// A float32 inference plan that records the range of the input and of every layer's output into `recorder`
    /// as it runs (calibration); not kept.
    func calibrationPlan(batchSize: Int, recorder: ActivationRecorder) throws -> Plan {
        try MemoryBudget.checkPlan(self, batchSize: batchSize, training: false)
        return try compile(batchSize: batchSize, training: false, inputGradient: false, captured: [], precision: .fp32, recorder: recorder)
    }

    /// The indices of the layers named, in network order; an unknown name is an error listing the known ones.
    private func layerIndices(_ names: [String]) throws -> [Int] {
        let known = entries.map(\.name)
        return try Set(names.map { name in
            guard let index = known.firstIndex(of: name) else { throw unknownName(name, what: "layer", known: known) }
            return index
        }).sorted()
    }

    private func compile(batchSize: Int, training: Bool, inputGradient: Bool, captured: Set<Int>, precision: Precision? = nil,
                         recorder: ActivationRecorder? = nil) throws -> Plan {
        let precision = precision ?? self.precision
        let int8 = precision == .int8 ? quantization.map { Int8Planning(entries: entries, quantization: $0, graph: Graph(entries, int8: true, unfused: captured)) } : nil
        // Calibration records each layer's own range (an int8 plan may end a chain where a float one fuses on, as
        // batch norm folded into a conv, then ReLU), so nothing fuses there.
        let unfused = recorder == nil ? captured : Set(entries.indices)
        let graph = int8?.graph ?? (unfused.isEmpty ? self.graph : Graph(entries, unfused: unfused))
        // Channels padded to a block of 16 are the largest layout oneDNN uses for an activation.
        let shapes: [Shape] = [inputShape] + entries.map(\.outputShape)
        let largestSample = shapes.map { (shape: Shape) -> Int in (shape.channels + 15) / 16 * 16 * shape.height * shape.width }.max() ?? 0
        let builder = try PlanBuilder(device: device, batchSize: batchSize, training: training, randomSeed: seed,
                                      stepCounter: stepCounter, largestActivationBytes: largestSample * batchSize * 4)
        let input = try builder.memory(try .plain(inputShape.withBatch(batchSize)))
        if let recorder { builder.forward { recorder.observe(input, at: 0) } }
        let inputGradientMemory = inputGradient ? try builder.memory(input.descriptor) : nil
        // What each layer reads, per `from:` slot, filled in as its producers finish.
        var readInputs = entries.map { [Activation?](repeating: nil, count: $0.inputs.count) }
        try publish(Activation(shape: inputShape, value: input, gradient: inputGradientMemory), of: -1, into: &readInputs, builder, graph)
        var activation: Activation?
        // With frozen layers, a layer's output needs a gradient only when a layer up to it (its ancestors, and a
        // few more) trains. Without, every layer gets one, as a network without parameters needs in training.
        var gradientNeeded = inputGradient || !entries.contains { $0.parameters.contains(where: \.isFrozen) }
        for (index, entry) in entries.enumerated() {
            gradientNeeded = gradientNeeded || entry.parameters.contains(where: \.requiresGradient)
            builder.currentNeedsGradient = gradientNeeded
            builder.currentLayerIndex = index
            builder.currentLayerName = entry.name
            builder.currentOutputLastUse = graph.lastUse[index]
            let node = graph.node(containing: index)
            if node.layer != index, let fused = activation {
                // A layer fused into the node before it (see `FusionRule`): that node's output is already this one's.
                activation = Activation(shape: entry.outputShape, value: fused.value, gradient: fused.gradient, scale: fused.scale)
            } else {
                var gradientCopies: [Step] = []
                var inputs = readInputs[index].map { $0! }
                var dataType = precision.dataType(of: entry, inputs: inputs)
                let int8Plan = try int8?.prepare(node, inputs: inputs, builder)
                if let int8Plan {
                    (inputs, dataType) = (int8Plan.inputs, int8Plan.dataType)
                } else {
                    inputs = try inputs.map { try builder.converted($0, to: dataType, gradientCopies: &gradientCopies) }
                }
                var context = LayerContext(index: index, name: entry.name, inputs: inputs, outputShape: entry.outputShape, dataType: dataType,
                                           parameters: Dictionary(uniqueKeysWithValues: entry.parameters.map { ($0.name, $0) }),
                                           epilogue: node.epilogue, layoutRules: graph.layoutRules[index])
                context.quantized = int8Plan?.quantized
                var output = try entry.layer.compile(builder, context)
                output.scale = int8Plan?.outputScale ?? 1
                for step in gradientCopies { builder.backward(step) }
                builder.keepAlive(output.value, until: graph.lastUse[index])
                builder.keepAlive(output.gradient, until: graph.lastUse[index])
                activation = output
            }
            builder.finishLayer(parameters: entry.parameters)
            if let activation {
                if let recorder { builder.forward { recorder.observe(activation.value, at: index + 1) } }
                if captured.contains(index) { try builder.capture(activation, name: entry.name) }
                try publish(activation, of: index, into: &readInputs, builder, graph)
            }
        }
        guard var activation else { throw ZooError("a network needs at least one layer") }
        builder.currentLayerIndex = entries.count
        // Losses and users read a plain row-major output.
        builder.currentLayerName = "output"
        if int8 != nil { activation = try builder.dequantized(activation) }
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

    /// Hands a layer's output to the layers that read it. Where several read it, each writes its gradient into
    /// a buffer of its own, and a oneDNN `sum` adds them up before the producer's backward runs.
    private func publish(_ activation: Activation, of producer: Int, into readInputs: inout [[Activation?]], _ builder: PlanBuilder,
                         _ graph: Graph) throws {
        let readers = graph.readers(of: producer)
        guard readers.count > 1, let gradient = activation.gradient else {
            for reader in readers { readInputs[reader.layer][reader.slot] = activation }
            return
        }
        var parts: [Memory] = []
        for reader in readers {
            let part = try builder.sharedActivationBuffer(gradient.descriptor, until: reader.layer)
            parts.append(part)
            readInputs[reader.layer][reader.slot] = Activation(shape: activation.shape, value: activation.value, gradient: part)
        }
        try builder.backwardSum(parts, into: gradient)
        builder.finishLayer()
    }
}

/// A network's layers after the graph passes: who reads each output, the fused nodes (`FusionPass`), the layout
/// rules for each (`LayoutPass`), and the last layer that needs each output (its buffer's lifetime).
struct Graph {
    /// Per producer (index + 1, so the network input is 0): the (layer, `from:` slot) pairs that read it.
    private let readersByProducer: [[(layer: Int, slot: Int)]]
    /// The fused nodes, in network order.
    let nodes: [FusedNode]
    /// Per layer: the node it is part of (for a layer fused into the node before, whose output is that node's).
    private let nodeOfLayer: [FusedNode]
    /// Per layer: the layout rules that apply to it (`LayoutPass`).
    let layoutRules: [[LayoutRule]]
    /// The last layer reading each output (through fused layers); the network's output lives to the end.
    let lastUse: [Int]

    /// `int8`: the int8 plan's rules (see `FusionRule`). `unfused`: captured layers, which keep their own output.
    init(_ entries: [Network.Entry], int8: Bool = false, unfused: Set<Int> = []) {
        var readers = [[(layer: Int, slot: Int)]](repeating: [], count: entries.count + 1)
        for (index, entry) in entries.enumerated() {
            for (slot, input) in entry.inputs.enumerated() { readers[input + 1].append((index, slot)) }
        }
        readersByProducer = readers
        let count = entries.count
        nodes = FusionPass(entries: entries, readers: readers.map { $0.map(\.layer) }, int8: int8, captured: unfused).run()
        // A node's layers are consecutive, and nodes in network order.
        nodeOfLayer = nodes.flatMap { node in node.layers.map { _ in node } }
        layoutRules = LayoutPass.run(entries, nodes: nodes)
        var lastUse = (0..<count).map { index in readers[index + 1].map(\.layer).max() ?? count }
        for node in nodes { lastUse[node.layer] = lastUse[node.chainEnd] }
        self.lastUse = lastUse
    }

    /// A batch norm reading a conv or linear (whose weights and bias it can be folded into), in an int8 plan.
    /// `NetworkQuantization` folds the batch norm into the int8 weights exactly where the int8 fusion pass does.
    static func foldsBatchNorm(_ entries: [Network.Entry], producer: Int, reader: Int) -> Bool {
        reader < entries.count && entries[reader].layer is BatchNorm
            && Graph(entries, int8: true).node(containing: producer).layers.contains(reader)
    }

    func node(containing layer: Int) -> FusedNode { nodeOfLayer[layer] }

    func readers(of producer: Int) -> [(layer: Int, slot: Int)] { readersByProducer[producer + 1] }
}
