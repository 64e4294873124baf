/// A network's PyTorch `state_dict` as a safetensors file: weights and buffers only, no optimizer state,
/// and each batchnorm's `num_batches_tracked` (int64 scalar), so `load_state_dict(..., strict=True)` accepts it.
public enum StateDict {
    /// `num_batches_tracked` is the network's training step count: PyTorch adds one per training forward pass.
    public static func file(network: Network, metadata: [String: String]) throws -> SafetensorsFile {
        var tensors: [String: SafetensorsTensor] = [:]
        for (name, parameter) in network.namedParameters {
            tensors[name] = SafetensorsTensor(floats: try parameter.read(), shape: parameter.shape)
        }
        for entry in network.entries where entry.layer is BatchNorm {
            tensors["\(entry.name).num_batches_tracked"] = SafetensorsTensor(int64s: [Int64(clamping: network.trainingStep)], shape: [])
        }
        return SafetensorsFile(tensors: tensors, metadata: metadata)
    }
}
