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

extension ZooError {
    /// Several mistakes found in one pass over a file, as one error listing each with its place and hint,
    /// so one run shows them all; a single mistake is itself.
    public init(listing errors: [ZooError]) {
        guard errors.count != 1 else {
            self = errors[0]
            return
        }
        let items = errors.map { error in
            let place = error.location.map(\.description) ?? error.place
            return "\n  " + (place.map { "\($0): " } ?? "") + error.message + (error.hint.map { "\n      hint: \($0)" } ?? "")
        }
        self.init("\(errors.count) mistakes, each with its place:" + items.joined())
    }
}

/// Mistakes a reader can step over and keep reading (an unknown setting, an unknown layer type), kept so
/// that a file's mistakes are reported together instead of one per run.
public final class MistakeCollector {
    public private(set) var mistakes: [ZooError] = []

    public init() {}

    public func record(_ mistake: ZooError) { mistakes.append(mistake) }

    /// The mistakes so far followed by `error`, which stopped reading, as one error; they are reported
    /// from here on, so an outer reader's `combined` leaves that error as it is.
    public func combined(with error: Error) -> Error {
        guard !mistakes.isEmpty, let error = error as? ZooError else { return error }
        defer { mistakes = [] }
        return ZooError(listing: mistakes + [error])
    }

    /// Throws the mistakes so far, if any, as one error.
    public func throwIfAny() throws {
        guard !mistakes.isEmpty else { return }
        defer { mistakes = [] }
        throw ZooError(listing: mistakes)
    }
}
