/// A value in an architecture: a layer setting after parameter references are resolved, a parameter's
/// default or override (from the config's `model:` or `--set`), a value the dataset gives (`num_classes`).
/// It keeps the type YAML read it with from the file to the layer; a checkpoint stores it as JSON.
public indirect enum ArgumentValue: Equatable, Sendable, CustomStringConvertible, Codable {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case list([ArgumentValue])

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .bool(let value): return String(value)
        case .string(let value): return "\"\(value)\""
        case .list(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// The value as written after `--set key=`: text without quotes.
    public var plainText: String {
        if case .string(let text) = self { return text }
        return description
    }

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let flag = try? container.decode(Bool.self) {
            self = .bool(flag)
        } else if let whole = try? container.decode(Int.self) {
            self = .int(whole)
        } else if let number = try? container.decode(Double.self) {
            self = .double(number)
        } else if let list = try? container.decode([ArgumentValue].self) {
            self = .list(list)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        }
    }
}
