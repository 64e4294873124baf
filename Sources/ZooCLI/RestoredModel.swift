import ZooConfig
import ZooCore

/// A checkpoint, its self-description, and the network rebuilt from its architecture text with the weights loaded:
/// what `zoo eval` and `zoo export` start from.
struct RestoredModel {
    let checkpoint: Checkpoint
    let description: CheckpointDescription
    let network: Network

    init(path: String) throws {
        checkpoint = try Checkpoint.read(path: path)
        description = try CheckpointDescription(metadata: checkpoint.metadata, path: path)
        let architecture = try Architecture.parse(text: description.architectureText, file: description.architectureSource)
        network = try architecture.network(input: description.inputShape, numClasses: description.classNames.count,
                                           overrides: description.modelParameters, seed: 0)
        try checkpoint.load(into: network, path: path)
    }
}
