/// What to write instead of a PyTorch spelling that zoo spells differently: a student coming from
/// `nn.Conv2d(in_channels=1, out_channels=6, kernel_size=5)` or `optim.SGD(lr=...)` gets a translation,
/// not a bare refusal. Names that differ only in case or `_` (`Conv2d`, `MaxPool2d`, `LogSoftmax`) are
/// simply accepted (see `sameName`).
public enum PyTorchNames {
    private static let inferred = "input sizes are inferred from the previous layer: remove it"

    /// Layer and config settings, by PyTorch's key.
    static let settings: [String: String] = [
        "in_channels": inferred,
        "in_features": inferred,
        "num_features": inferred,
        "out_channels": "zoo calls it `out`: write `out: ...`",
        "out_features": "zoo calls it `out`: write `out: ...`",
        "kernel_size": "zoo calls it `kernel`: write `kernel: ...`",
        "learning_rate": "zoo calls it `lr`, as torch.optim does: write `lr: ...`",
    ]

    /// Layer types, by PyTorch's class name folded as `sameName` folds it.
    static let layerTypes: [String: String] = [
        "adaptiveavgpool2d": "PyTorch's AdaptiveAvgPool2d(1) is zoo's `global_avgpool`: write `global_avgpool`",
        "dropout2d": "zoo has no dropout2d: PyTorch's Dropout2d zeroes whole channels (entire feature maps), while zoo's `dropout` "
            + "zeroes single values, a different regulariser; remove the layer, or choose `dropout` knowing it drops values, not channels",
    ]

    /// The advice for a setting PyTorch spells `key`, if zoo spells it differently.
    public static func settingHint(_ key: String) -> String? { settings[key.lowercased()] }

    /// The advice for a layer type PyTorch names `type`, if zoo names it differently.
    public static func layerTypeHint(_ type: String) -> String? { layerTypes[folded(type)] }
}
