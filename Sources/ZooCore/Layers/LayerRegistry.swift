/// Every layer type by its YAML name. Adding a layer type: one new file, one line here.
public enum LayerRegistry {
    public static let types: [any Layer.Type] = [
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
    ]

    public static var names: [String] { types.map { $0.typeName } }

    public static func type(named name: String) -> (any Layer.Type)? {
        types.first { $0.typeName == name || $0.aliases.contains(name) }
    }

    /// Creates a layer from its description; unknown types and settings are errors at the entry's line.
    public static func makeLayer(_ description: LayerDescription) throws -> any Layer {
        guard let type = type(named: description.type) else {
            throw ZooError("unknown layer type `\(description.type)`", at: description.location,
                           hint: nearest(to: description.type, in: names).map { "did you mean `\($0)`?" }
                               ?? "known types: \(names.joined(separator: ", "))")
        }
        let arguments = LayerArguments(description)
        try arguments.rejectUnknown(allowed: type.argumentNames)
        return try type.init(arguments: arguments)
    }
}
