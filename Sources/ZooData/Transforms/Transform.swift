import ZooFoundation

/// An image transform as a config names it: its key in the `dataset:` section, its settings with their
/// defaults and ranges, how it reads them and writes them back, and what it does to an image's bytes.
/// Transforms run in order before normalisation, so padding is zero in pixel space (as in torchvision's
/// Pad/RandomCrop before Normalize).
public protocol ImageTransform: Configurable, Codable {
    /// Its key in a checkpoint's `test_transforms` (`name` is its key in the `dataset:` section).
    static var codingName: String { get }
    /// The transform the dataset section asks for; nil when it asks for none (absent, or `hflip: false`).
    /// `imageHeight` is the dataset's, the default crop size.
    static func read(from dataset: any SettingsReader, imageHeight: Int) throws -> Self?
    /// The value under its key in the resolved config.
    var written: ArgumentValue { get }
    /// Random transforms are for training only; the test set gets the deterministic ones.
    var isDeterministic: Bool { get }
    /// Its size settings, named for error messages, checked before any arithmetic on them.
    var sizes: [(what: String, value: Int)] { get }
    func output(for input: ImageShape) -> ImageShape
    /// The work for one input shape, prepared once (e.g. a permutation table drawn).
    func step(from input: ImageShape, to output: ImageShape) -> ImageStep
}

extension ImageTransform {
    public static var codingName: String { name }
    public var sizes: [(what: String, value: Int)] { [] }
}

/// Writes one image's transformed bytes from `source` into `target`; random choices come from the generator.
public typealias ImageStep = @Sendable (_ source: UnsafeBufferPointer<UInt8>, _ target: UnsafeMutableBufferPointer<UInt8>,
                                        _ generator: inout SeededRandom) -> Void

/// Every transform by its `dataset:` key, in the order they apply. Adding one: a new file, one line here
/// (or, from a library, `TransformRegistry.registry.register(MyTransform.self)`, which applies after the built-ins).
public enum TransformRegistry {
    public static let registry = Registry<any ImageTransform.Type>([
        PadTo.self,
        PermutePixels.self,
        RandomCrop.self,
        HorizontalFlip.self,
        Translate.self,
        RandomErasing.self,
    ])

    public static var types: [any ImageTransform.Type] { registry.all }
    public static var names: [String] { types.map { $0.name } }
}

public enum TransformKind: ConfigurableKind {
    public static func common(_ settings: any ImageTransform) -> any Configurable { settings }
}

/// A configured transform; its description is its `dataset:` entry, such as `pad_to: 32`.
public typealias Transform = Configured<TransformKind>

extension Transform: CustomStringConvertible {
    public var name: String { typeName }
    public var isDeterministic: Bool { settings.isDeterministic }
    public var description: String { "\(name): \(settings.written)" }
}

extension Transform: Codable {
    /// `{"<codingName>": settings}`, one key.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        try settings.encode(to: container.superEncoder(forKey: NameKey(type(of: settings).codingName)))
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: NameKey.self)
        guard let key = container.allKeys.first, let type = TransformRegistry.types.first(where: { $0.codingName == key.stringValue }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown transform"))
        }
        self.init(try type.init(from: container.superDecoder(forKey: key)))
    }
}

private struct NameKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

public struct ImageShape: Equatable, Sendable {
    public var channels, height, width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    public var pixelCount: Int { height * width }
    public var byteCount: Int { channels * height * width }

    public func after(_ transforms: [Transform]) -> ImageShape {
        transforms.reduce(self) { $1.settings.output(for: $0) }
    }

    /// Sides above this are refused before any arithmetic on them, so sums and products cannot overflow
    /// (a checkpoint's transforms arrive without the config's range checks).
    static let maximumSide = 1 << 16

    /// Bytes of one image after `transforms`, the sizes on the way checked against `maximumSide` and overflow.
    static func checkedByteCount(of shape: ImageShape, after transforms: [Transform]) throws -> Int {
        func checkedSide(_ side: Int, _ what: String) throws {
            guard (0...maximumSide).contains(side) else {
                throw ZooError("\(what) \(side) is outside 0...\(maximumSide)", hint: "use an image size or padding of at most \(maximumSide)")
            }
        }
        try checkedSide(shape.height, "image height")
        try checkedSide(shape.width, "image width")
        try checkedSide(shape.channels, "channel count")
        var current = shape
        for transform in transforms {
            for (what, side) in transform.settings.sizes { try checkedSide(side, what) }
            current = transform.settings.output(for: current)
            try checkedSide(current.height, "image height")
            try checkedSide(current.width, "image width")
        }
        return current.byteCount
    }
}

/// Transforms prepared for one input shape: permutation tables drawn once, shapes worked out.
struct ImagePipeline: Sendable {
    private let steps: [(step: ImageStep, output: ImageShape)]
    let input: ImageShape
    let output: ImageShape

    init(input: ImageShape, transforms: [Transform]) {
        var shape = input
        var steps: [(ImageStep, ImageShape)] = []
        for transform in transforms {
            let next = transform.settings.output(for: shape)
            steps.append((transform.settings.step(from: shape, to: next), next))
            shape = next
        }
        self.steps = steps
        self.input = input
        self.output = shape
    }

    /// Bytes needed by each of the two scratch buffers `apply` works in.
    var scratchCount: Int { steps.map(\.output.byteCount).max() ?? 0 }

    /// Runs the steps from `source` through the scratch buffers; returns the buffer holding the result
    /// (`source` itself when there are no steps). Random choices come from `generator`, in step order.
    func apply(_ source: UnsafeBufferPointer<UInt8>, scratch: (UnsafeMutableBufferPointer<UInt8>, UnsafeMutableBufferPointer<UInt8>),
               generator: inout SeededRandom) -> UnsafeBufferPointer<UInt8> {
        var current = source
        for (index, entry) in steps.enumerated() {
            let target = index % 2 == 0 ? scratch.0 : scratch.1
            entry.step(current, target, &generator)
            current = UnsafeBufferPointer(target)
        }
        return current
    }
}

/// output(y, x) = input(y + rowShift, x + columnShift), zero outside the input: padding and cropping.
func shift(_ source: UnsafeBufferPointer<UInt8>, _ input: ImageShape, into target: UnsafeMutableBufferPointer<UInt8>,
           _ output: ImageShape, rowShift: Int, columnShift: Int) {
    // Columns of the output row that fall inside the input; the rest are zero.
    let firstColumn = min(max(-columnShift, 0), output.width)
    let endColumn = max(min(input.width - columnShift, output.width), firstColumn)
    for channel in 0 ..< output.channels {
        for row in 0 ..< output.height {
            let targetStart = (channel * output.height + row) * output.width
            let sourceRow = row + rowShift
            guard sourceRow >= 0, sourceRow < input.height else {
                for column in 0 ..< output.width { target[targetStart + column] = 0 }
                continue
            }
            let sourceStart = (channel * input.height + sourceRow) * input.width + columnShift
            for column in 0 ..< firstColumn { target[targetStart + column] = 0 }
            for column in firstColumn ..< endColumn { target[targetStart + column] = source[sourceStart + column] }
            for column in endColumn ..< output.width { target[targetStart + column] = 0 }
        }
    }
}

/// Transforms beyond this many pixels a side would only exhaust memory.
let maximumImageSide = 1024
