import Foundation

/// How much memory zoo may allocate (by default half of physical memory), what a network needs at a
/// batch size, and the one counter every oneDNN buffer (`Memory`: parameters, activations, scratchpads)
/// is charged to. Sizes are computed saturating at `Int.max`, so an absurd network fails the check
/// instead of overflowing.
public enum MemoryBudget {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var limit = defaultLimit
    nonisolated(unsafe) private static var limitOrigin = defaultOrigin
    nonisolated(unsafe) private static var reserved = 0

    public static let physicalMemory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
    public static let defaultLimit = physicalMemory / 2
    private static let defaultOrigin = "half of this machine's \(byteSize(physicalMemory)), the default"

    public static var limitBytes: Int { lock.withLock { limit } }
    public static var reservedBytes: Int { lock.withLock { reserved } }

    /// Sets the budget; `origin` says where it came from, for error messages ("--max-memory 4GB").
    public static func setLimit(_ bytes: Int, origin: String) {
        lock.withLock {
            limit = bytes
            limitOrigin = origin
        }
    }

    public static func resetLimit() { setLimit(defaultLimit, origin: defaultOrigin) }

    /// "8GB", "512MB", "2G", "1500000000" (bytes) or "75%" (of physical memory).
    public static func parse(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let units: [(suffix: String, scale: Double)] = [("%", Double(physicalMemory) / 100), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3),
                                                        ("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3), ("B", 1)]
        let unit = units.first { trimmed.hasSuffix($0.suffix) } ?? ("", 1)
        guard let number = Double(trimmed.dropLast(unit.suffix.count).trimmingCharacters(in: .whitespaces)), number.isFinite, number > 0,
              number * unit.scale >= 1_000_000, number * unit.scale < 9e18 else {
            throw ZooError("--max-memory must be a size such as 4GB, 512MB or 75% (of this machine's \(byteSize(physicalMemory))), "
                           + "at least 1MB, not `\(text)`")
        }
        return Int(number * unit.scale)
    }

    /// Every `Memory` buffer is charged here before it is allocated.
    static func reserve(_ bytes: Int) throws {
        try lock.withLock {
            let (total, overflow) = reserved.addingReportingOverflow(bytes)
            guard !overflow, total <= limit else {
                throw ZooError("allocating another \(byteSize(bytes)) would take zoo past its memory budget of \(byteSize(limit)) "
                               + "(\(limitOrigin)); \(byteSize(reserved)) is already in use",
                               hint: advice)
            }
            reserved = total
        }
    }

    static func release(_ bytes: Int) { lock.withLock { reserved -= bytes } }

    private static let advice = "use a smaller batch size, fewer channels or smaller layers, or raise the budget with --max-memory (such as --max-memory 16GB)"

    /// A parameter's element count, refused before its initial values are drawn when its values, gradient
    /// and optimizer state (4 floats per element) could not fit in what is left of the budget.
    static func checkParameterTensor(name: String, shape: [Int]) throws -> Int {
        let count = saturatingProduct(shape)
        let bytes = saturatingProduct([count, 4 * MemoryLayout<Float>.size])
        let (limit, reserved) = lock.withLock { (self.limit, self.reserved) }
        guard bytes <= limit - reserved else {
            throw ZooError("its \(name) of shape \(shape.map(String.init).joined(separator: "x")) has \(grouped(count)) values, "
                           + "\(approximately(bytes)) with its gradient and optimizer state, more than the memory budget of \(byteSize(limit)) "
                           + "(\(limitOrigin)) leaves", hint: "use fewer channels, features or a smaller kernel, or raise the budget with --max-memory")
        }
        return count
    }

    /// Refuses to compile a plan whose buffers would not fit in what is left of the budget; `capturedBytesPerImage`
    /// are the layer outputs it copies out (`Network.plan(capturing:)`).
    static func checkPlan(_ network: Network, batchSize: Int, training: Bool, capturedBytesPerImage: Int = 0) throws {
        let estimate = MemoryEstimate(network: network)
        let perImage = saturatingSum(training ? estimate.trainingPlanBytesPerImage : estimate.inferencePlanBytesPerImage, capturedBytesPerImage)
        let needed = saturatingProduct([batchSize, perImage])
        let (limit, reserved) = lock.withLock { (self.limit, self.reserved) }
        guard needed > limit - reserved else { return }
        throw ZooError("the \(training ? "training" : "evaluation") plan at batch size \(grouped(batchSize)) needs \(approximately(needed)) "
                       + "of activations, but only \(byteSize(max(limit - reserved, 0))) of the memory budget of \(byteSize(limit)) "
                       + "(\(limitOrigin)) is left", hint: advice)
    }

    /// Refuses a whole training or evaluation run that cannot fit, before any data is read or buffer allocated.
    public static func check(_ network: Network, batchSize: Int, training: Bool, what: String) throws {
        let estimate = MemoryEstimate(network: network)
        let needed = estimate.bytes(batchSize: batchSize, training: training)
        let limit = limitBytes
        guard needed > limit else { return }
        let perImage = training ? estimate.trainingBytesPerImage : estimate.inferenceBytesPerImage
        let fixed = training ? estimate.parameterAndOptimizerBytes : estimate.parameterBytes
        let fittingBatch = perImage > 0 && limit > fixed ? (limit - fixed) / perImage : 0
        let change = fittingBatch >= 1
            ? "use a batch size of at most \(grouped(fittingBatch)), fewer channels or smaller layers"
            : "even one image does not fit: use fewer channels or smaller layers"
        let raise = needed == Int.max ? "" : " (such as --max-memory \(byteSize(needed, rounded: true)))"
        throw ZooError("\(what) at batch size \(grouped(batchSize)) needs \(approximately(needed)): \(byteSize(perImage)) per image "
                       + "for activations and data, and \(byteSize(fixed)) for \(training ? "parameters, gradients and optimizer state" : "parameters"); "
                       + "the memory budget is \(byteSize(limit)) (\(lock.withLock { limitOrigin }))",
                       hint: "\(change), or raise the budget with --max-memory\(raise); "
                       + "`zoo summary MODEL --batch-size N` shows the estimate")
    }
}

/// What a network needs, from its shapes: parameters, and per image the activations of each plan and the
/// data loader's double buffers. Activations are counted with channels padded to 16, oneDNN's largest block.
public struct MemoryEstimate {
    /// Values and gradients of every parameter and buffer.
    public let parameterBytes: Int
    /// Plus two optimizer buffers (Adam's moments) per value.
    public let parameterAndOptimizerBytes: Int
    /// A training plan keeps every layer's output and two shared gradient buffers.
    public let trainingPlanBytesPerImage: Int
    /// An inference plan needs its input, output and two shared buffers.
    public let inferencePlanBytesPerImage: Int
    /// Two batches in floats: the one in use and the one being prepared.
    public let loaderBytesPerImage: Int

    public init(network: Network) {
        self.init(inputShape: network.inputShape, outputShapes: network.entries.map(\.outputShape),
                  values: network.namedParameters.reduce(0) { saturatingSum($0, $1.parameter.elementCount) })
    }

    /// The same from shapes alone, for a network too large to allocate.
    public init(shapes network: NetworkShapes) {
        self.init(inputShape: network.inputShape, outputShapes: network.entries.map(\.outputShape),
                  values: network.namedParameters.reduce(0) { saturatingSum($0, $1.parameter.elementCount) })
    }

    /// `values`: the elements of every parameter and buffer.
    private init(inputShape: Shape, outputShapes: [Shape], values: Int) {
        let floatSize = MemoryLayout<Float>.size
        parameterBytes = saturatingProduct([values, 2 * floatSize])
        parameterAndOptimizerBytes = saturatingProduct([values, 4 * floatSize])
        let shapes = [inputShape] + outputShapes
        let padded = shapes.map { saturatingProduct([($0.channels + 15) / 16 * 16, $0.height, $0.width]) }
        let largest = padded.max() ?? 0
        trainingPlanBytesPerImage = saturatingProduct([padded.reduce(0, saturatingSum), floatSize]) + saturatingProduct([largest, 2 * floatSize])
        inferencePlanBytesPerImage = saturatingProduct([saturatingSum(padded.first ?? 0, padded.last ?? 0), floatSize])
            + saturatingProduct([largest, 2 * floatSize])
        loaderBytesPerImage = saturatingProduct([inputShape.elementCount, 2 * floatSize])
    }

    /// A training run compiles a training and an evaluation plan and feeds both from a loader.
    public var trainingBytesPerImage: Int {
        saturatingSum(saturatingSum(trainingPlanBytesPerImage, inferencePlanBytesPerImage), saturatingProduct([loaderBytesPerImage, 2]))
    }

    public var inferenceBytesPerImage: Int { saturatingSum(inferencePlanBytesPerImage, loaderBytesPerImage) }

    public func bytes(batchSize: Int, training: Bool) -> Int {
        training ? saturatingSum(parameterAndOptimizerBytes, saturatingProduct([batchSize, trainingBytesPerImage]))
                 : saturatingSum(parameterBytes, saturatingProduct([batchSize, inferenceBytesPerImage]))
    }
}

/// `a + b` for non-negative sizes, or `Int.max` when it does not fit.
public func saturatingSum(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : sum
}

/// "4.6 MB", "313.0 GB", "612 KB", "940 B" (decimal units); `rounded` gives a whole number of a larger unit, for advice.
public func byteSize(_ bytes: Int, rounded: Bool = false) -> String {
    if bytes == Int.max { return "more than 9 EB" }
    let units: [(String, Double)] = [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)]
    for (unit, scale) in units where Double(bytes) >= scale {
        return rounded ? "\(Int((Double(bytes) / scale).rounded(.up)))\(unit)" : String(format: "%.1f %@", Double(bytes) / scale, unit)
    }
    return "\(bytes) B"
}

/// "about 4.6 MB", or "more than 9 EB" for a saturated size.
func approximately(_ bytes: Int) -> String { bytes == Int.max ? byteSize(bytes) : "about " + byteSize(bytes) }

/// "1,199,882"; "more than 9.2e18" for a saturated count.
public func grouped(_ count: Int) -> String {
    if count == Int.max { return "more than 9.2e18" }
    let digits = String(count.magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { result += "," }
        result.append(character)
    }
    return (count < 0 ? "-" : "") + result
}
