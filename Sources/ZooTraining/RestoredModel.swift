import ZooConfig
import ZooCore

/// A checkpoint, its self-description, and the network rebuilt from its architecture text with the weights loaded:
/// what `zoo eval` and `zoo export` start from.
public struct RestoredModel {
    public let checkpoint: Checkpoint
    public let description: CheckpointDescription
    public let network: Network
    public let architecture: Architecture
    /// The architecture's name (`lenet`).
    public var architectureName: String { architecture.name }

    /// The network is checked against the memory budget at `batchSize` before the weights are loaded.
    public init(path: String, batchSize: Int = 1) throws {
        checkpoint = try Checkpoint.read(path: path)
        description = try CheckpointDescription(metadata: checkpoint.metadata, path: path)
        architecture = try Architecture.parse(text: description.architectureText, file: description.architectureSource)
        network = try architecture.network(input: description.inputShape, numClasses: description.classNames.count,
                                           overrides: description.modelParameters, seed: 0)
        try MemoryBudget.check(network, batchSize: batchSize, training: false, what: "evaluating \(architecture.name)")
        try checkpoint.load(into: network, path: path)
    }
}
