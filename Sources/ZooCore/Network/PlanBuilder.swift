import CDNNL

/// One step of a plan: a bound oneDNN primitive, or a small element-wise pass written in Swift.
enum Step {
    case primitive(PrimitiveCall)
    case custom(() throws -> Void)

    func run(on device: Device) throws {
        switch self {
        case .primitive(let call): try call.execute(on: device)
        case .custom(let body): try body()
        }
    }
}

/// What a layer sees while it compiles: its inputs, its shapes, its parameters by name.
public struct LayerContext {
    public let index: Int
    public let name: String
    /// In `from:` order; a single-input layer has one.
    public let inputs: [Activation]
    public let outputShape: Shape
    /// The data type of the inputs and output, chosen by the plan's precision pass.
    let dataType: dnnl_data_type_t
    let parameters: [String: Parameter]
    /// What the layer runs on its output after its own operation, forward and backward (the fusion pass's choice).
    let epilogue: Epilogue
    /// The layout rules that apply to the layer (the layout pass's choice).
    let layoutRules: [LayoutRule]
    /// In an int8 plan, a conv, linear or add that computes on int8 values: its output's type and scale, and its int8 weights.
    var quantized: QuantizedLayer? = nil

    public var input: Activation { inputs[0] }
    public var inputShape: Shape { inputs[0].shape }

    func parameter(_ name: String) throws -> Parameter {
        guard let parameter = parameters[name] else { throw ZooError("layer \(self.name) has no parameter \(name)") }
        return parameter
    }
}

/// Collects the steps of one plan (one batch size, training or inference) while layers compile.
/// Layers add forward steps in order and their backward steps in the order they run within the layer;
/// the builder runs layers' backward groups in reverse.
public final class PlanBuilder {
    let device: Device
    public let batchSize: Int
    public let training: Bool
    let randomSeed: UInt64
    let stepCounter: StepCounter
    private(set) var forwardSteps: [Step] = []
    private var backwardGroups: [BackwardGroup] = []
    private var currentBackward: [Step] = []
    private var callsNeedingScratchpad: [PrimitiveCall] = []
    private(set) var implementations: [(layer: String, operation: String, implementation: String)] = []
    /// Layer outputs copied out for `Plan.withCapturedOutput`, in network order.
    private var captured: [(name: String, memory: Memory)] = []
    var currentLayerName = ""
    /// The layer compiling now, and the last layer that reads its output (training: the first whose backward
    /// writes the output's gradient), as positions in the network's layer list.
    var currentLayerIndex = 0
    var currentOutputLastUse = 0
    /// False while compiling layers that neither train nor follow one that does: their backward is skipped.
    var currentNeedsGradient = true
    /// Activation gradients in training, activation values in inference: each is needed from the layer that
    /// makes it to the last layer that reads it, so buffers whose intervals do not overlap share storage.
    /// A sequential network needs two; a residual block one more for its shortcut.
    private var sharedBuffers: [(memory: Memory, intervals: [ClosedRange<Int>])] = []
    private let sharedBufferBytes: Int

    /// `largestActivationBytes` bounds every activation of the plan in any layout oneDNN picks.
    init(device: Device, batchSize: Int, training: Bool, randomSeed: UInt64, stepCounter: StepCounter,
         largestActivationBytes: Int) throws {
        self.device = device
        self.batchSize = batchSize
        self.training = training
        self.randomSeed = randomSeed
        self.stepCounter = stepCounter
        sharedBufferBytes = max(largestActivationBytes, 4)
    }

    /// A buffer for an activation's gradient (training) or value (inference), live from the current layer
    /// to `lastUse` (default: the current output's last reader), in the first shared buffer free for that interval.
    func sharedActivationBuffer(_ descriptor: MemoryDescriptor, until lastUse: Int? = nil) throws -> Memory {
        guard descriptor.byteCount <= sharedBufferBytes else { return try memory(descriptor) }
        let interval = currentLayerIndex...max(lastUse ?? currentOutputLastUse, currentLayerIndex)
        let index = try sharedBuffers.firstIndex { !$0.intervals.contains { $0.overlaps(interval) } } ?? {
            sharedBuffers.append((try memory(try .plain([sharedBufferBytes / 4])), []))
            return sharedBuffers.count - 1
        }()
        sharedBuffers[index].intervals.append(interval)
        return try alias(sharedBuffers[index].memory, as: descriptor)
    }

    /// Keeps a shared buffer that `memory` lives in busy until `lastUse`: a layer whose output is a view
    /// of its input (flatten, an identity) makes the input live as long as the output.
    func keepAlive(_ memory: Memory?, until lastUse: Int) {
        guard let memory, let index = sharedBuffers.firstIndex(where: { $0.memory.data == memory.data }),
              let last = sharedBuffers[index].intervals.indices.last(where: { sharedBuffers[index].intervals[$0].contains(currentLayerIndex) })
        else { return }
        let interval = sharedBuffers[index].intervals[last]
        sharedBuffers[index].intervals[last] = interval.lowerBound...max(interval.upperBound, lastUse)
    }

    var propagation: dnnl_prop_kind_t { training ? dnnl_forward_training : dnnl_forward_inference }

    func memory(_ descriptor: MemoryDescriptor) throws -> Memory { try Memory(descriptor, device: device) }

    func alias(_ memory: Memory, as descriptor: MemoryDescriptor) throws -> Memory {
        try Memory(aliasing: memory, as: descriptor, device: device)
    }

    /// A new activation; it gets a gradient buffer in the same layout when the plan trains and the layer needs one.
    /// Training keeps every value for backward; inference needs each only for the next layer.
    func activation(_ shape: Shape, descriptor: MemoryDescriptor) throws -> Activation {
        guard training else { return Activation(shape: shape, value: try sharedActivationBuffer(descriptor), gradient: nil) }
        return Activation(shape: shape, value: try memory(descriptor), gradient: currentNeedsGradient ? try sharedActivationBuffer(descriptor) : nil)
    }

    func primitiveDescriptor<Operation>(_ operation: inout Operation, hint: PrimitiveDescriptor? = nil,
                                        postOps: PostOps? = nil, scales: PrimitiveScales? = nil, name: String) throws -> PrimitiveDescriptor {
        try PrimitiveDescriptor(&operation, device: device, hint: hint, postOps: postOps, scales: scales, name: "\(currentLayerName) \(name)")
    }

    /// A bound call for `descriptor`; its scratchpad is attached when the plan is finished.
    func call(_ descriptor: PrimitiveDescriptor, _ operation: String, _ arguments: [(Int32, Memory)]) throws -> Step {
        let call = try PrimitiveCall(try Primitive(descriptor), name: "\(currentLayerName) \(operation)", arguments: arguments, device: device)
        if call.scratchpadDescriptor.byteCount > 0 { callsNeedingScratchpad.append(call) }
        implementations.append((currentLayerName, operation, descriptor.implementation))
        return .primitive(call)
    }

    func forward(_ descriptor: PrimitiveDescriptor, _ operation: String, _ arguments: [(Int32, Memory)]) throws {
        forwardSteps.append(try call(descriptor, operation, arguments))
    }

    func backward(_ descriptor: PrimitiveDescriptor, _ operation: String, _ arguments: [(Int32, Memory)]) throws {
        currentBackward.append(try call(descriptor, operation, arguments))
    }

    func forward(_ step: Step) { forwardSteps.append(step) }
    func backward(_ step: Step) { currentBackward.append(step) }
    func forward(_ body: @escaping () throws -> Void) { forwardSteps.append(.custom(body)) }
    func backward(_ body: @escaping () throws -> Void) { currentBackward.append(.custom(body)) }

    /// `memory` in `descriptor`'s layout: itself when they match, else a copy refreshed by a reorder in the forward pass.
    func forwardConverted(_ memory: Memory, to descriptor: MemoryDescriptor) throws -> Memory {
        if memory.descriptor == descriptor { return memory }
        let converted = try self.memory(descriptor)
        forwardSteps.append(try reorderStep(from: memory, to: converted))
        return converted
    }

    /// `activation` in `dataType`, for a layer the precision pass gave another data type than its input's: the same
    /// layout, the value converted in the forward pass, the gradient written by the layer into a buffer of its own
    /// that a step added to `gradientCopies` converts back (run it after the layer's backward).
    func converted(_ activation: Activation, to dataType: dnnl_data_type_t, gradientCopies: inout [Step]) throws -> Activation {
        guard activation.descriptor.dataType != dataType else { return activation }
        let value = try forwardConverted(activation.value, to: activation.descriptor.withDataType(dataType))
        guard let gradient = activation.gradient else { return Activation(shape: activation.shape, value: value, gradient: nil) }
        let convertedGradient = try sharedActivationBuffer(gradient.descriptor.withDataType(dataType), until: currentLayerIndex)
        gradientCopies.append(try reorderStep(from: convertedGradient, to: gradient))
        return Activation(shape: activation.shape, value: value, gradient: convertedGradient)
    }

    /// Same as `forwardConverted`, for a gradient the backward pass produces.
    func backwardConverted(_ memory: Memory, to descriptor: MemoryDescriptor) throws -> Memory {
        if memory.descriptor == descriptor { return memory }
        let converted = try self.memory(descriptor)
        currentBackward.append(try reorderStep(from: memory, to: converted))
        return converted
    }

    /// Lets `produce` add a backward call that writes a gradient belonging in `target`, in `descriptor`'s layout:
    /// straight into `target` when the layouts match, else into a staging buffer reordered into `target` after it.
    func backward(writingInto target: Memory, as descriptor: MemoryDescriptor, _ produce: (Memory) throws -> Void) throws {
        if target.descriptor == descriptor { return try produce(target) }
        let staging = try memory(descriptor)
        try produce(staging)
        currentBackward.append(try reorderStep(from: staging, to: target))
    }

    /// Adds up `parts` into `target` (oneDNN `sum`) in the backward pass: gradients from several readers.
    func backwardSum(_ parts: [Memory], into target: Memory) throws {
        currentBackward.append(try sumStep(parts, into: target))
    }

    /// Two parts of one layout go through binary add, whose jit kernel beats `sum`'s simple one on blocked
    /// layouts (ResNet-20: 4% of a training step) and takes a fused ReLU (`postOps`).
    func sumStep(_ parts: [Memory], into target: Memory, postOps: PostOps? = nil) throws -> Step {
        if parts.count == 2 && parts.allSatisfy({ $0.descriptor == target.descriptor }) {
            // In one layout the sum is element-wise over the buffers (padding included, which stays zero), so the
            // binary add runs on them as flat vectors: its simplest kernel, whatever the layout. (oneDNN 2.6's binary
            // with a ReLU post-op crashed on 8-channel blocks with AVX-512.)
            let flat = try MemoryDescriptor.plain([target.descriptor.byteCount / target.descriptor.elementSize], dataType: target.descriptor.dataType)
            let (first, second, destination) = try (alias(parts[0], as: flat), alias(parts[1], as: flat), alias(target, as: flat))
            var operation = dnnl_binary_desc_t()
            var raw = flat.raw
            try check(dnnl_binary_desc_init(&operation, dnnl_binary_add, &raw, &raw, &raw), "dnnl_binary_desc_init")
            let descriptor = try primitiveDescriptor(&operation, postOps: postOps, name: "add")
            return try call(descriptor, "add", [(DNNL_ARG_SRC_0, first), (DNNL_ARG_SRC_1, second), (DNNL_ARG_DST, destination)])
        }
        guard postOps == nil else { throw ZooError("layer \(currentLayerName): a fused ReLU needs a sum of two inputs in one layout") }
        let descriptor = try PrimitiveDescriptor(sumOf: parts.map(\.descriptor), into: target.descriptor, device: device)
        let arguments = parts.enumerated().map { (DNNL_ARG_MULTIPLE_SRC + Int32($0.offset), $0.element) } + [(DNNL_ARG_DST, target)]
        return try call(descriptor, "sum", arguments)
    }

    /// Copies `activation` after the forward steps so far into a buffer of its own in PyTorch's layout (plain NCHW
    /// or [N, features], float32): a oneDNN reorder out of whatever blocked layout and data type the layer chose
    /// (an int8 value times its scale), run before a later layer can reuse the activation's shared buffer.
    func capture(_ activation: Activation, name: String) throws {
        let copy = try memory(try .plain(activation.shape.withBatch(batchSize)))
        forwardSteps.append(try reorderStep(from: activation.value, to: copy, scale: activation.isInt8 ? activation.scale : nil))
        captured.append((name, copy))
    }

    func reorderStep(from source: Memory, to destination: Memory, scale: Float? = nil) throws -> Step {
        let descriptor = try PrimitiveDescriptor(reorderFrom: source.descriptor, to: destination.descriptor, scale: scale, device: device)
        return try call(descriptor, "reorder", [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, destination)])
    }

    /// Ends a layer's backward group; after it runs, the gradients of `parameters` are final.
    func finishLayer(parameters: [Parameter] = []) {
        backwardGroups.append(BackwardGroup(steps: currentBackward, parameters: parameters.filter(\.requiresGradient)))
        currentBackward = []
    }

    /// Binds one shared scratchpad (the largest any primitive asked for): steps run one at a time.
    func finish(input: Memory, inputGradient: Memory?, output: Memory, outputGradient: Memory?) throws -> Plan {
        let largest = callsNeedingScratchpad.map { $0.scratchpadDescriptor.byteCount }.max() ?? 0
        if largest > 0 {
            let shared = try memory(try .plain([(largest + 3) / 4]))
            for call in callsNeedingScratchpad { call.attachScratchpad(try alias(shared, as: call.scratchpadDescriptor)) }
        }
        return Plan(device: device, batchSize: batchSize, training: training, input: input, inputGradient: inputGradient, output: output,
                    outputGradient: outputGradient, forwardSteps: forwardSteps,
                    backwardGroups: backwardGroups.reversed(), implementations: implementations, captured: captured,
                    stepCounter: stepCounter)
    }
}

/// One layer's backward steps and the parameters whose gradients they finish.
struct BackwardGroup {
    let steps: [Step]
    let parameters: [Parameter]
}

/// Counts training steps, so per-step randomness (dropout) is a pure function of the seed and the step.
public final class StepCounter {
    public var step: UInt64 = 0
}
