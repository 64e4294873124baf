import CDNNL

/// How a parameter's first values are made. They are drawn only when a `Network` allocates the parameter,
/// so shape inference (`NetworkShapes`, `zoo summary`) costs nothing however large the layer.
public enum ParameterInitializer: Sendable, Equatable {
    /// U(-bound, bound), PyTorch's default for conv and linear weights and biases.
    case uniform(bound: Float)
    case constant(Float)

    func values(count: Int, random: inout SeededRandom) -> [Float] {
        switch self {
        case .uniform(let bound): return random.uniform(bound, count: count)
        case .constant(let value): return Array(repeating: value, count: count)
        }
    }
}

/// What a layer asks for at build time: a PyTorch-named tensor of a shape, and how to initialise it. It holds
/// no values, so a network's shapes and counts need no memory.
public struct ParameterSpec {
    public var name: String
    public var shape: [Int]
    /// False for buffers such as batch norm's running statistics.
    public var isTrainable: Bool
    public var initializer: ParameterInitializer
    /// The dimensions oneDNN sees when they differ from PyTorch's with the same row-major bytes:
    /// a grouped convolution's `[groups, out / groups, in / groups, kh, kw]` for `[out, in / groups, kh, kw]`.
    public var primitiveShape: [Int]?

    public init(name: String, shape: [Int], isTrainable: Bool = true, initializer: ParameterInitializer, primitiveShape: [Int]? = nil) {
        self.name = name
        self.shape = shape
        self.isTrainable = isTrainable
        self.initializer = initializer
        self.primitiveShape = primitiveShape
    }

    /// Saturating at `Int.max`: a summary of an absurd layer counts instead of trapping.
    public var elementCount: Int { saturatingProduct(shape) }
}

/// A weight, bias or buffer. It lives in the layout the layer's primitive prefers (often blocked),
/// and is read or written in PyTorch's canonical layout (`oihw`, `[out, in]`, `[C]`) through reorders.
public final class Parameter {
    public let name: String
    public let shape: [Int]
    public let isTrainable: Bool
    /// A trainable parameter kept fixed (`freeze:`): no gradient, no optimizer state.
    public private(set) var isFrozen = false
    let device: Device
    let canonicalDescriptor: MemoryDescriptor
    public private(set) var value: Memory
    /// Same layout as `value`; nil for buffers.
    public private(set) var gradient: Memory?
    /// Set when the first plan picked a layout; later plans must use the same one.
    private(set) var layoutIsFixed = false

    /// Checked against the memory budget (with its gradient and optimizer state) before anything is allocated
    /// or drawn; the values come from `random`, in the order the layer listed its parameters.
    init(_ spec: ParameterSpec, device: Device, random: inout SeededRandom) throws {
        let count = try MemoryBudget.checkParameterTensor(name: spec.name, shape: spec.shape)
        name = spec.name
        shape = spec.shape
        isTrainable = spec.isTrainable
        self.device = device
        canonicalDescriptor = try .plain(spec.primitiveShape ?? spec.shape)
        value = try Memory(canonicalDescriptor, device: device)
        gradient = spec.isTrainable ? try Memory(canonicalDescriptor, device: device) : nil
        try write(spec.initializer.values(count: count, random: &random))
    }

    /// A replica's view of `original` (in-process data parallelism): a trainable parameter shares its values,
    /// so one optimizer step updates every replica, and gets a gradient of its own; a buffer (batch norm's
    /// running statistics, which forward writes) gets a copy. The layout stays the original's.
    init(replicating original: Parameter, device: Device) throws {
        name = original.name
        shape = original.shape
        isTrainable = original.isTrainable
        isFrozen = original.isFrozen
        self.device = device
        canonicalDescriptor = original.canonicalDescriptor
        if isTrainable {
            value = original.value
            gradient = isFrozen ? nil : try Memory(original.value.descriptor, device: device)
        } else {
            value = try Memory(original.value.descriptor, device: device)
            try reorder(from: original.value, to: value, device: device)
        }
        layoutIsFixed = true
    }

    public var elementCount: Int { shape.reduce(1, *) }

    /// Trainable and not frozen: plans compute its gradient and optimizers update it.
    public var requiresGradient: Bool { isTrainable && !isFrozen }

    /// Drops the gradient; only before the first plan, which decides what backward computes.
    func freeze() {
        isFrozen = true
        gradient = nil
    }

    /// Moves the values into the layout the first plan's primitive chose.
    func adopt(_ descriptor: MemoryDescriptor) throws {
        guard !layoutIsFixed else { return }
        layoutIsFixed = true
        guard descriptor != value.descriptor else { return }
        let moved = try Memory(descriptor, device: device)
        try reorder(from: value, to: moved, device: device)
        value = moved
        if requiresGradient { gradient = try Memory(descriptor, device: device) }
    }

    public func read() throws -> [Float] { try readCanonical(value) }

    public func readGradient() throws -> [Float] {
        guard let gradient else { return [] }
        return try readCanonical(gradient)
    }

    public func write(_ values: [Float]) throws { try writeCanonical(values, into: value) }

    /// Any memory in this parameter's layout (its value, gradient, or optimizer state) as canonical floats.
    func readCanonical(_ memory: Memory) throws -> [Float] {
        let canonical = try Memory(canonicalDescriptor, device: device)
        try reorder(from: memory, to: canonical, device: device)
        return canonical.withFloats { Array($0.prefix(elementCount)) }
    }

    func writeCanonical(_ values: [Float], into memory: Memory) throws {
        guard values.count == elementCount else {
            throw ZooError("parameter \(name) has shape \(shape.map(String.init).joined(separator: "x")) (\(elementCount) values), but \(values.count) values were given")
        }
        let canonical = try Memory(canonicalDescriptor, device: device)
        canonical.withFloats { buffer in
            for index in values.indices { buffer[index] = values[index] }
        }
        try reorder(from: canonical, to: memory, device: device)
    }
}

/// A one-off reorder, for parameter I/O outside the training step.
func reorder(from source: Memory, to destination: Memory, device: Device) throws {
    if source.descriptor == destination.descriptor {
        destination.data.update(from: source.data, count: source.floatCount)
        return
    }
    let primitive = try Primitive(PrimitiveDescriptor(reorderFrom: source.descriptor, to: destination.descriptor, device: device))
    let call = try PrimitiveCall(primitive, arguments: [(DNNL_ARG_FROM, source), (DNNL_ARG_TO, destination)], device: device)
    try call.attachOwnScratchpad(device: device)
    try call.execute(on: device)
    try device.wait()
}
