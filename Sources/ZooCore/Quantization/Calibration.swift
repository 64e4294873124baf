import CDNNL

/// The smallest and largest value an activation took over the calibration images.
public struct ActivationRange: Equatable, Sendable {
    public var minimum: Float
    public var maximum: Float

    public init(minimum: Float, maximum: Float) {
        self.minimum = minimum
        self.maximum = maximum
    }

    static let empty = ActivationRange(minimum: .infinity, maximum: -.infinity)

    mutating func include(_ values: UnsafeMutableBufferPointer<Float>) {
        for value in values {
            minimum = min(minimum, value)
            maximum = max(maximum, value)
        }
    }

    /// How values in this range are stored as int8: unsigned when never negative (`nonNegative`: a ReLU follows,
    /// whatever was observed), else signed; symmetric (zero point 0), the largest magnitude at 255 or 127.
    func int8Format(nonNegative: Bool = false) -> (dataType: dnnl_data_type_t, scale: Float) {
        let unsigned = nonNegative || minimum >= 0
        let largest = unsigned ? max(maximum, 0) : max(-minimum, maximum)
        // All zeros: any scale represents them.
        guard largest > 0, largest.isFinite else { return (unsigned ? dnnl_u8 : dnnl_s8, 1) }
        return unsigned ? (dnnl_u8, largest / 255) : (dnnl_s8, largest / 127)
    }
}

/// Collects each activation's range while a float32 plan runs (the network input at position 0, layer i at i + 1).
final class ActivationRecorder {
    var ranges: [ActivationRange]

    init(count: Int) { ranges = Array(repeating: .empty, count: count) }

    /// Layout-blind: a blocked layout's padding holds zeros, which widen no range that matters (an unsigned
    /// range starts at 0 anyway, and a signed scale comes from the largest magnitude).
    func observe(_ memory: Memory, at position: Int) {
        memory.withFloats { ranges[position].include($0) }
    }
}

extension Network {
    /// The range of the network input and of every layer's output over `data`, from float32 inference:
    /// max-abs calibration (see docs/precision.md).
    public func calibrate(data: BatchSource) throws -> [ActivationRange] {
        let recorder = ActivationRecorder(count: entries.count + 1)
        var plans: [Int: Plan] = [:]
        data.start(epoch: 0)
        while let batch = data.nextBatch() {
            guard batch.count > 0 else { continue }
            let plan = try plans[batch.count] ?? calibrationPlan(batchSize: batch.count, recorder: recorder)
            plans[batch.count] = plan
            try plan.load(batch)
            try plan.forward()
        }
        guard !recorder.ranges.contains(.empty) else {
            throw ZooError("calibration saw no images", hint: "calibrate on at least one image (--calibration 1000)")
        }
        return recorder.ranges
    }
}
