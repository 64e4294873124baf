import ZooConfig
import ZooCore

extension TrainingConfig {
    /// The configured loss, else `nll` for a model ending in `log_softmax` and `cross_entropy` otherwise.
    public func loss(for network: Network) -> Loss {
        loss ?? (network.entries.last?.description.type == LogSoftmax.typeName ? .nll : .crossEntropy)
    }
}
