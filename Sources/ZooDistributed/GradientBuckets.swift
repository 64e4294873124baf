import ZooCore

/// Sums gradients over the workers of a group in buckets, while backward is still running: as PyTorch
/// DDP's reducer, parameters are put into buckets in reverse layer order (the order backward finishes
/// them), and a bucket's sum starts as soon as its last gradient is final. Buckets start strictly in
/// index order, which is the same on every worker, so every worker issues the same sums in the same order.
public final class GradientBuckets {
    /// Near DDP's bucket size: big enough that a message's latency is small next to its transfer.
    public static let defaultCapacityBytes = 4 << 20

    /// Gradients are copied into a bucket's own buffer, which outlives every sum started on it
    /// (copying 37 MB costs milliseconds next to VGG-lite's backward).
    private struct Bucket {
        let parameters: [Parameter]
        let staging: UnsafeMutableBufferPointer<Float>
    }

    private let group: DataParallelGroup
    private let buckets: [Bucket]
    private let bucketOfParameter: [ObjectIdentifier: Int]
    private var unreadyCounts: [Int] = []
    private var nextToStart = 0

    /// `parameters` must already have their final layouts (a training plan was compiled).
    init(parameters: [Parameter], group: DataParallelGroup, capacityBytes: Int) throws {
        self.group = group
        var groups: [[Parameter]] = []
        var bytes = 0
        for parameter in parameters.reversed() {
            guard let gradient = parameter.gradient else { continue }
            if groups.isEmpty || bytes + gradient.byteCount > capacityBytes {
                groups.append([])
                bytes = 0
            }
            groups[groups.count - 1].append(parameter)
            bytes += gradient.byteCount
        }
        buckets = groups.map { parameters in
            let floats = parameters.reduce(0) { $0 + ($1.gradient?.floatCount ?? 0) }
            let staging = UnsafeMutableBufferPointer<Float>.allocate(capacity: floats)
            staging.initialize(repeating: 0)
            return Bucket(parameters: parameters, staging: staging)
        }
        var bucketOfParameter: [ObjectIdentifier: Int] = [:]
        for (index, bucket) in buckets.enumerated() {
            for parameter in bucket.parameters { bucketOfParameter[ObjectIdentifier(parameter)] = index }
        }
        self.bucketOfParameter = bucketOfParameter
    }

    deinit {
        for bucket in buckets { bucket.staging.deallocate() }
    }

    var count: Int { buckets.count }

    /// Begins a step: no gradient is final yet.
    func begin() {
        unreadyCounts = buckets.map(\.parameters.count)
        nextToStart = 0
    }

    /// Backward has finished these parameters' gradients: start every bucket that is now complete.
    func ready(_ parameters: [Parameter]) throws {
        for parameter in parameters {
            guard let index = bucketOfParameter[ObjectIdentifier(parameter)] else { continue }
            unreadyCounts[index] -= 1
        }
        while nextToStart < buckets.count && unreadyCounts[nextToStart] == 0 { try start(nextToStart) }
        try group.advanceSums()
    }

    /// Starts whatever is left and waits for every sum; afterwards each gradient holds the group's sum.
    func finish() throws {
        while nextToStart < buckets.count { try start(nextToStart) }
        try group.finishSums()
        for bucket in buckets {
            var offset = 0
            for gradient in bucket.parameters.compactMap(\.gradient) {
                gradient.withFloats { _ = $0.update(fromContentsOf: bucket.staging[offset..<(offset + $0.count)]) }
                offset += gradient.floatCount
            }
        }
    }

    private func start(_ index: Int) throws {
        nextToStart = index + 1
        let bucket = buckets[index]
        // Whole buffers, blocked layouts' padding included: it is zero on every worker and sums to zero.
        var offset = 0
        for gradient in bucket.parameters.compactMap(\.gradient) {
            gradient.withFloats { _ = bucket.staging[offset..<(offset + $0.count)].update(fromContentsOf: $0) }
            offset += gradient.floatCount
        }
        try group.startSum(bucket.staging)
    }
}
