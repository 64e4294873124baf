/// Every layer type by its YAML name. Adding a layer type: one new file, one line here (or, from a library,
/// `LayerRegistry.registry.register(MyLayer.self)`).
public enum LayerRegistry {
    public static let registry = Registry<any Layer.Type>([
        Conv2d.self,
        Linear.self,
        ReLU.self,
        LeakyReLU.self,
        Sigmoid.self,
        Tanh.self,
        GELU.self,
        SiLU.self,
        MaxPool2d.self,
        AvgPool2d.self,
        GlobalAvgPool.self,
        BatchNorm.self,
        Dropout.self,
        Flatten.self,
        Softmax.self,
        LogSoftmax.self,
        Add.self,
        Concat.self,
    ])

    public static var types: [any Layer.Type] { registry.all }

    public static var names: [String] { types.map { $0.typeName } }

    public static func type(named name: String) -> (any Layer.Type)? {
        types.first { sameName($0.typeName, name) || $0.aliases.contains { sameName($0, name) } }
    }

    /// Creates a layer from its description; unknown types and settings are errors at the entry's line.
    public static func makeLayer(_ description: LayerDescription) throws -> any Layer {
        guard let type = type(named: description.type) else {
            throw unknownType(description.type, at: description.location, known: names)
        }
        let arguments = LayerArguments(description)
        try arguments.rejectUnknown(allowed: type.argumentNames)
        return try type.init(arguments: arguments)
    }

    /// "unknown layer type", with PyTorch's name translated or the nearest known type as a hint.
    public static func unknownType(_ type: String, at location: SourceLocation?, known: [String]) -> ZooError {
        ZooError("unknown layer type `\(type)`", at: location,
                 hint: PyTorchNames.layerTypeHint(type) ?? nearest(to: type, in: known).map { "did you mean `\($0)`?" }
                     ?? "known types: \(known.joined(separator: ", "))")
    }
}
