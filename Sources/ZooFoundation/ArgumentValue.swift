/// A value from a config or an architecture, with the type YAML read it with: a layer setting after
/// parameter references are resolved, a parameter's default or override (the config's `model:` or `--set`),
/// a value the dataset gives (`num_classes`), an optimizer's, schedule's or transform's setting as the
/// resolved config writes it back. Checkpoints and fixtures store it as JSON.
public indirect enum ArgumentValue: Sendable, Equatable, CustomStringConvertible, Codable {
    case int(Int)
    case double(Double)
    case bool(Bool)
    case string(String)
    case list([ArgumentValue])
    /// Entries in the order written, e.g. `random_crop: {size: 28, padding: 2}`.
    case mapping([(key: String, value: ArgumentValue)])

    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return String(value)
        case .bool(let value): return String(value)
        case .string(let value): return "\"\(value)\""
        case .list(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .mapping(let entries): return "{" + entries.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// The value as written after `--set key=`: text without quotes.
    public var plainText: String {
        if case .string(let text) = self { return text }
        return description
    }

    /// A whole or fractional number as a `Double`.
    public var number: Double? {
        switch self {
        case .int(let whole): return Double(whole)
        case .double(let number): return number
        default: return nil
        }
    }

    public static func == (left: ArgumentValue, right: ArgumentValue) -> Bool {
        switch (left, right) {
        case (.int(let a), .int(let b)): return a == b
        case (.double(let a), .double(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.list(let a), .list(let b)): return a == b
        case (.mapping(let a), .mapping(let b)): return a.map(\.key) == b.map(\.key) && a.map(\.value) == b.map(\.value)
        default: return false
        }
    }

    /// JSON objects have no order, so a decoded mapping's keys are sorted.
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
        } else if let entries = try? container.decode([String: ArgumentValue].self) {
            self = .mapping(entries.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) })
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
        case .mapping(let entries): try container.encode(Dictionary(entries, uniquingKeysWith: { $1 }))
        }
    }
}
