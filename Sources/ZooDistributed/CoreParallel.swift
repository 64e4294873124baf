import Dispatch
import ZooCore

/// Data-parallel training inside one process: each batch is split across replicas of the network, one per
/// core, each running oneDNN single-threaded on its share at the same time; their gradients are summed
/// into the network's before the optimizer step. Small networks' primitives are too small to keep two
/// threads busy (LeNet's convolutions take tens of microseconds), but two cores each on half the batch are.
/// As with `DataParallel`, each replica's loss gradient is scaled by share / batch, so the sum is the
/// gradient of the mean over the batch: the same training as one replica, up to float summation order.
/// Replicas share the trainable values, so one optimizer step updates all. The work split depends only
/// on the batch size and the replica count, so a run repeats to the bit for a given thread count.
public final class CoreParallel: BatchRunner {
    public let network: Network
    /// Replica 0 is the network itself.
    private let replicas: [Network]
    /// Per trainable parameter: the network's gradient and each other replica's, paired once.
    private let gradients: [(total: Memory, parts: [Memory])]
    /// Per buffer (batch norm's running statistics): the network's and the other replicas' copies.
    private let buffers: [(source: Memory, copies: [Memory])]

    /// False for a split made for inference only (`make(..., training: false)`).
    public let trains: Bool

    public var replicaCount: Int { replicas.count }

    /// One replica's plan and its share of a batch, handed to the thread that runs that replica.
    private struct ReplicaHandle: @unchecked Sendable {
        // Sendable by hand: each handle (so each plan) goes to one thread of `onEveryReplica`, which waits for all.
        let plan: Plan
        let share: Range<Int>
        let imageSize: Int

        /// Copies the share's images of a batch into the plan's input.
        func load(_ images: [Float]) throws {
            try images[(share.lowerBound * imageSize)..<(share.upperBound * imageSize)].withUnsafeBufferPointer { try plan.load(images: $0) }
        }
    }

    /// One replica per OpenMP thread, except for training networks with batch norm (then 1, no split). Batch
    /// norm trains on its batch's statistics, which a split would make per replica (what DDP does without
    /// SyncBatchNorm): a different model, not the same one faster. Inference normalises with the running
    /// statistics, so it splits whatever the layers. The choice depends only on the network, the batch size,
    /// the mode and the thread count.
    public static func automaticReplicaCount(for network: Network, batchSize: Int, training: Bool = true) -> Int {
        let threads = OpenMPThreads.maximum
        guard threads > 1, batchSize >= 2 * threads else { return 1 }
        return training && network.entries.contains(where: { $0.layer is BatchNorm }) ? 1 : threads
    }

    /// A split into `replicas` (the automatic count when nil), or nil when that is one replica.
    public static func make(network: Network, batchSize: Int, replicas: Int? = nil, training: Bool = true) throws -> CoreParallel? {
        let count = replicas ?? automaticReplicaCount(for: network, batchSize: batchSize, training: training)
        guard (1...256).contains(count) else {
            throw ZooError("--replicas must be between 1 and 256, not \(count)", hint: "1 runs the whole batch on one network with all threads")
        }
        return count > 1 ? try CoreParallel(network: network, replicas: count, batchSize: batchSize, training: training) : nil
    }

    /// The inference split of a network whose training keeps the whole batch (batch norm): its whole-batch
    /// training plan is compiled first, so that plan, not a single-threaded replica's, fixes the weights' layouts.
    public static func inferenceSplit(of network: Network, trainingBatchSize: Int, batchSize: Int) throws -> CoreParallel? {
        _ = try network.plan(batchSize: trainingBatchSize, training: true)
        return try make(network: network, batchSize: batchSize, training: false)
    }

    /// Fixes the parameters' layouts with a single-threaded plan for the largest share (the plan replica 0
    /// then uses), then makes the other replicas.
    public init(network: Network, replicas count: Int, batchSize: Int, training: Bool = true) throws {
        guard count >= 1 else { throw ZooError("the batch cannot be split into \(count) replicas") }
        self.network = network
        trains = training
        let largestShare = BatchShare(worker: 0, workers: count).largestShare(ofBatch: batchSize)
        _ = try OpenMPThreads.single { try network.plan(batchSize: max(largestShare, 1), training: training) }
        let others = try (1..<count).map { replica in
            var random = SeededRandom(seed: network.seed, streams: 0x5EED, UInt64(replica))
            return try Network(replicating: network, seed: random.next())
        }
        replicas = [network] + others
        let parameters = others.map { $0.namedParameters.map(\.parameter) }
        gradients = network.namedParameters.enumerated().compactMap { index, named in
            named.parameter.gradient.map { total in (total, parameters.compactMap { $0[index].gradient }) }
        }
        buffers = network.namedParameters.enumerated().filter { !$0.element.parameter.isTrainable }.map { index, named in
            (named.parameter.value, parameters.map { $0[index].value })
        }
    }

    /// Forward, loss and backward of `batch` split across the replicas; afterwards the network's gradients
    /// are those of the whole batch. The loss is the batch mean, `correct` the batch count.
    public func forwardLossBackward(_ batch: LabeledBatch, loss: Loss, classes: Int, labelSmoothing: Double = 0) throws -> Loss.Result {
        guard trains else { throw ZooError("this split across cores was made for inference, not training") }
        let parts = try self.parts(of: batch.count, training: true)
        for replica in replicas.dropFirst() { replica.trainingStep = network.trainingStep }
        let results = try onEveryReplica(parts) { replica in
            let share = replica.share
            let mixed = batch.mixed.map { MixedLabels(partners: Array($0.partners[share]), weight: $0.weight) }
            try replica.load(batch.images)
            return try batch.labels.withUnsafeBufferPointer { labels in
                try replica.plan.forwardLossBackward(loss, labels: UnsafeBufferPointer(rebasing: labels[share]), classes: classes,
                                                     labelSmoothing: labelSmoothing, mixed: mixed) { plan in
                    try plan.scaleOutputGradient(by: Float(share.count) / Float(batch.count))
                    try plan.backward()
                }
            }
        }
        var total = Loss.Result(loss: 0, correct: 0)
        for (result, part) in zip(results, parts) {
            guard let result, let share = part?.share else { continue }
            total.loss += result.loss * Double(share.count) / Double(batch.count)
            total.correct += result.correct
        }
        sumGradients(from: parts.dropFirst().map { $0 != nil })
        return total
    }

    /// Inference of `count` images split across the replicas, with the network's batch-norm statistics;
    /// `body` then reads each share's outputs (`[share.count, classes]`), in order.
    public func infer(_ images: [Float], count: Int,
                      _ body: (_ share: Range<Int>, _ outputs: UnsafeBufferPointer<Float>) throws -> Void) throws {
        guard images.count >= count * network.inputShape.elementCount else {
            throw ZooError("\(images.count) values do not hold \(count) images of \(network.inputShape) values")
        }
        let parts = try self.parts(of: count, training: false)
        copyBuffers()
        _ = try onEveryReplica(parts) { replica in
            try replica.load(images)
            try replica.plan.forward()
        }
        for case let replica? in parts { try replica.plan.withOutput { try body(replica.share, $0) } }
    }

    /// Each replica's share of a batch of `count` and its plan for it (nil for an empty share), made with one
    /// OpenMP thread so that every kernel is set up to run single-threaded.
    private func parts(of count: Int, training: Bool) throws -> [ReplicaHandle?] {
        try OpenMPThreads.single {
            try replicas.enumerated().map { index, replica in
                let share = BatchShare(worker: index, workers: replicas.count).range(inBatchOf: count)
                return share.isEmpty ? nil : ReplicaHandle(plan: try replica.plan(batchSize: share.count, training: training), share: share,
                                                           imageSize: network.inputShape.elementCount)
            }
        }
    }

    /// Runs `body` for every replica with a share at once, each on a thread of its own with oneDNN single-threaded;
    /// returns each replica's result (nil for an empty share) or rethrows the first replica's error.
    private func onEveryReplica<Output: Sendable>(_ parts: [ReplicaHandle?], _ body: @Sendable (ReplicaHandle) throws -> Output) throws -> [Output?] {
        let outcomes = Locked([Result<Output, any Error>?](repeating: nil, count: parts.count))
        DispatchQueue.concurrentPerform(iterations: parts.count) { index in
            guard let replica = parts[index] else { return }
            let outcome = Result { try OpenMPThreads.single { try body(replica) } }
            outcomes.withLock { $0[index] = outcome }
        }
        return try outcomes.withLock { $0 }.map { try $0?.get() }
    }

    /// The network's buffers (batch norm's running statistics), copied to the other replicas for inference.
    private func copyBuffers() {
        for (source, copies) in buffers {
            for copy in copies { copy.data.update(from: source.data, count: source.floatCount) }
        }
    }

    /// Adds the gradients of the other replicas that had images (`ran`, one flag per other replica) into the
    /// network's, in replica order.
    private func sumGradients(from ran: [Bool]) {
        for (total, parts) in gradients {
            total.withFloats { total in
                for (index, part) in parts.enumerated() where ran[index] {
                    part.withFloats { part in
                        forEachChunk(of: total.count) { _, range in
                            for element in range { total[element] += part[element] }
                        }
                    }
                }
            }
        }
    }
}
