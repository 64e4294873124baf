import ZooFoundation

/// What a network needs at a batch size, checked against the budget before anything is allocated.
extension MemoryBudget {
    /// Refuses to compile a plan whose buffers would not fit in what is left of the budget; `capturedBytesPerImage`
    /// are the layer outputs it copies out (`Network.plan(capturing:)`).
    static func checkPlan(_ network: Network, batchSize: Int, training: Bool, capturedBytesPerImage: Int = 0) throws {
        let estimate = MemoryEstimate(network: network)
        let perImage = saturatingSum(training ? estimate.trainingPlanBytesPerImage : estimate.inferencePlanBytesPerImage, capturedBytesPerImage)
        let needed = saturatingProduct([batchSize, perImage])
        let (limit, reserved, limitOrigin) = current
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
                       + "the memory budget is \(byteSize(limit)) (\(current.limitOrigin))",
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

