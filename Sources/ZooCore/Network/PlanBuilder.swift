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

/// What a layer sees while it compiles: its input, its shapes, its parameters by name.
public struct LayerContext {
    public let index: Int
    public let name: String
    public let input: Activation
    public let inputShape: Shape
    public let outputShape: Shape
    let parameters: [String: Parameter]
    /// The next layer is a ReLU this layer applies as a post-op (and whose backward it runs).
    let fusesReLU: Bool
    /// That fused ReLU's backward is left to the max pooling after it, on the pooled (smaller) gradient:
    /// max pooling passes gradient only to each window's maximum, where the ReLU mask is the pooled one.
    let reluBackwardAfterPooling: Bool
    /// This max pooling applies the backward of the ReLU fused into the layer before it.
    let appliesReLUBackward: Bool

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
    var currentLayerName = ""
    /// Activation gradients in training, activation values in inference: each is needed only until the
    /// layer next to it has run, so in a sequential network two shared buffers, taken in turn, hold them all.
    private let sharedBuffers: [Memory]
    private var nextSharedBuffer = 0

    /// `largestActivationBytes` bounds every activation of the plan in any layout oneDNN picks.
    init(device: Device, batchSize: Int, training: Bool, randomSeed: UInt64, stepCounter: StepCounter,
         largestActivationBytes: Int) throws {
        self.device = device
        self.batchSize = batchSize
        self.training = training
        self.randomSeed = randomSeed
        self.stepCounter = stepCounter
        let shared = try MemoryDescriptor.plain([max(largestActivationBytes / 4, 1)])
        sharedBuffers = try (0..<2).map { _ in try Memory(shared, device: device) }
    }

    /// A buffer for an activation's gradient (training) or value (inference), in the next shared buffer.
    func sharedActivationBuffer(_ descriptor: MemoryDescriptor) throws -> Memory {
        let buffer = sharedBuffers[nextSharedBuffer]
        guard descriptor.byteCount <= buffer.byteCount else { return try memory(descriptor) }
        nextSharedBuffer = 1 - nextSharedBuffer
        return try alias(buffer, as: descriptor)
    }

    var propagation: dnnl_prop_kind_t { training ? dnnl_forward_training : dnnl_forward_inference }

    func memory(_ descriptor: MemoryDescriptor) throws -> Memory { try Memory(descriptor, device: device) }

    func alias(_ memory: Memory, as descriptor: MemoryDescriptor) throws -> Memory {
        try Memory(aliasing: memory, as: descriptor, device: device)
    }

    /// A new activation; it gets a gradient buffer in the same layout when the plan trains.
    /// Training keeps every value for backward; inference needs each only for the next layer.
    func activation(_ shape: Shape, descriptor: MemoryDescriptor) throws -> Activation {
        guard training else { return Activation(shape: shape, value: try sharedActivationBuffer(descriptor), gradient: nil) }
        return Activation(shape: shape, value: try memory(descriptor), gradient: try sharedActivationBuffer(descriptor))
    }

    func primitiveDescriptor<Operation>(_ operation: inout Operation, hint: PrimitiveDescriptor? = nil,
                                        postOps: PostOps? = nil, name: String) throws -> PrimitiveDescriptor {
        try PrimitiveDescriptor(&operation, device: device, hint: hint, postOps: postOps, name: "\(currentLayerName) \(name)")
    }

    /// A bound call for `descriptor`; its scratchpad is attached when the plan is finished.
    private func call(_ descriptor: PrimitiveDescriptor, _ operation: String, _ arguments: [(Int32, Memory)]) throws -> Step {
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

    func forward(_ body: @escaping () throws -> Void) { forwardSteps.append(.custom(body)) }
    func backward(_ body: @escaping () throws -> Void) { currentBackward.append(.custom(body)) }

    /// `memory` in `descriptor`'s layout: itself when they match, else a copy refreshed by a reorder in the forward pass.
    func forwardConverted(_ memory: Memory, to descriptor: MemoryDescriptor) throws -> Memory {
        if memory.descriptor == descriptor { return memory }
        let converted = try self.memory(descriptor)
        forwardSteps.append(try reorderStep(from: memory, to: converted))
        return converted
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

    func reorderStep(from source: Memory, to destination: Memory) throws -> Step {
        let descriptor = try PrimitiveDescriptor(reorderFrom: source.descriptor, to: destination.descriptor, device: device)
        return try call(descriptor, "reorder", [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, destination)])
    }

    /// Ends a layer's backward group; after it runs, the gradients of `parameters` are final.
    func finishLayer(parameters: [Parameter] = []) {
        backwardGroups.append(BackwardGroup(steps: currentBackward, parameters: parameters.filter(\.isTrainable)))
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
                    backwardGroups: backwardGroups.reversed(), implementations: implementations,
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
