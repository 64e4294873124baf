/// A place in a user's file: a YAML mark, or a byte offset in a data file.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// An error a user can act on: what went wrong, where, and what to do about it.
/// Every user-facing failure in zoo is one of these; the CLI prints `description` and exits 1.
public struct ZooError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var location: SourceLocation?
    /// Where there is no line and column, e.g. "train-images-idx3-ubyte.gz at byte 16".
    public var place: String?
    public var hint: String?

    public init(_ message: String, at location: SourceLocation? = nil, place: String? = nil, hint: String? = nil) {
        self.message = message
        self.location = location
        self.place = place
        self.hint = hint
    }

    public var description: String {
        var text = ""
        if let location { text += "\(location): " } else if let place { text += "\(place): " }
        text += "error: \(message)"
        if let hint { text += "\n  hint: \(hint)" }
        return text
    }
}
