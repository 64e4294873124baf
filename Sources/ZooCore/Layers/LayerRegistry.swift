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

    /// The type named `name`; an unknown name is an error at `location`, with PyTorch's name translated or the
    /// nearest of the layer types and `otherNames` (an architecture's blocks) as a hint.
    public static func type(named name: String, at location: SourceLocation?, otherNames: [String] = []) throws -> any Layer.Type {
        guard let type = type(named: name) else {
            let known = names + otherNames
            throw ZooError("unknown layer type `\(name)`", at: location,
                           hint: PyTorchNames.layerTypeHint(name) ?? nearest(to: name, in: known).map { "did you mean `\($0)`?" }
                               ?? "known types: \(known.joined(separator: ", "))")
        }
        return type
    }

    /// "conv2d has no setting `kernel_size`" for each key `type` does not take, at the key's place, with PyTorch's
    /// name translated or the nearest valid key as a hint; `entryKeys` are keys every entry may also have (`name`, `from`).
    public static func unknownSettings(of type: any Layer.Type, _ keys: [(key: String, location: SourceLocation?)],
                                       entryKeys: [String] = []) -> [ZooError] {
        let allowed = type.argumentNames.isEmpty ? [] : type.argumentNames + entryKeys
        let valid = allowed.isEmpty ? "it takes no settings" : "it takes " + allowed.map { "`\($0)`" }.joined(separator: ", ")
        return keys.filter { !type.argumentNames.contains($0.key) }.map { key, location in
            ZooError("\(type.typeName) has no setting `\(key)`; \(valid)", at: location,
                     hint: PyTorchNames.settingHint(key) ?? nearest(to: key, in: allowed).map { "did you mean `\($0)`?" })
        }
    }

    /// Creates a layer from its description; an unknown type or settings are errors at their lines.
    public static func makeLayer(_ description: LayerDescription) throws -> any Layer {
        let type = try type(named: description.type, at: description.location)
        let arguments = LayerArguments(description)
        let unknown = unknownSettings(of: type, arguments.keys.map { ($0, arguments.location(of: $0)) })
        guard unknown.isEmpty else { throw ZooError(listing: unknown) }
        return try type.init(arguments: arguments)
    }
}
