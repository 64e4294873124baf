import ZooCore

extension DataParallel {
    /// The runner `zoo train` and `zoo bench` use: with a `group` of several workers, each runs its share of
    /// every batch; else each batch is split across the cores (`replicas`, or the automatic count), and a
    /// network whose training keeps the whole batch (batch norm) still splits inference unless `replicas` is given.
    public static func runner(network: Network, batchSize: Int, inferenceBatchSize: Int, group: DataParallelGroup?,
                              replicas: Int?) throws -> BatchRunner {
        if let group, group.workers > 1 { return try DataParallel(group: group, network: network, batchSize: batchSize) }
        if let split = try CoreParallel.make(network: network, batchSize: batchSize, replicas: replicas) { return split }
        let inferenceSplit = replicas == nil
            ? try CoreParallel.inferenceSplit(of: network, trainingBatchSize: batchSize, batchSize: inferenceBatchSize) : nil
        return WholeBatch(network: network, inferenceSplit: inferenceSplit)
    }
}
