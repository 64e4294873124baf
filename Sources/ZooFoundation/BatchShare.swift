/// One worker's part of every global batch: a contiguous slice, the first `count % workers` workers taking
/// one image more, so shares differ by at most one image and together cover the batch exactly once.
/// Worker w of N walks the same seeded order as a single process and takes its slice of each batch
/// (the semantics of PyTorch's DistributedSampler, per batch rather than per epoch).
public struct BatchShare: Hashable, Sendable {
    public let worker: Int
    public let workers: Int

    /// The whole batch, for a single process.
    public static let everything = BatchShare(worker: 0, workers: 1)

    public init(worker: Int, workers: Int) {
        precondition(workers >= 1 && (0..<workers).contains(worker), "worker \(worker) of \(workers)")
        self.worker = worker
        self.workers = workers
    }

    /// Positions of this worker's images within a global batch of `count` images.
    public func range(inBatchOf count: Int) -> Range<Int> {
        let (base, extra) = count.quotientAndRemainder(dividingBy: workers)
        let start = worker * base + min(worker, extra)
        return start..<(start + base + (worker < extra ? 1 : 0))
    }

    /// The largest share of a batch of `count` images any worker gets.
    public func largestShare(ofBatch count: Int) -> Int { (count + workers - 1) / workers }
}
