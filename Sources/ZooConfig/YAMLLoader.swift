import Foundation
import Yams
import ZooCore

/// Loads YAML text into a Yams `Node` tree that keeps every value's line and column, refusing input
/// that would be slow or confusing to process. Loading never executes anything: Yams only builds
/// strings, numbers, lists and mappings, and this loader rejects custom tags outright.
public enum YAMLLoader {
    /// Limits that keep a hostile or broken file from hanging or exhausting the process.
    public static let maximumBytes = 1_000_000
    public static let maximumDepth = 32
    /// Counted after aliases are expanded, so a "billion laughs" file is refused quickly.
    public static let maximumNodes = 100_000

    private static let allowedTags: Set<Tag.Name> = [.str, .int, .float, .bool, .null, .seq, .map]

    /// Parses one YAML document. Returns nil for an empty file or one that holds only comments.
    public static func load(text: String, file: String) throws -> Node? {
        if text.utf8.count > maximumBytes {
            throw ZooError("the file is \(text.utf8.count) bytes; architecture files may be at most \(maximumBytes) bytes",
                           at: SourceLocation(file: file, line: 1, column: 1))
        }
        try rejectTabIndentation(text, file: file)
        try rejectComplexKeys(text, file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw zooError(from: error, file: file)
        }
        guard let root else { return nil }
        var count = 0
        try check(root, depth: 1, count: &count, file: file)
        return root
    }

    /// A YAML file's text; `kind` ("architecture file") names it in messages, `shown` is the path they print.
    public static func readText(path: String, shown: String, kind: String) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ZooError("this is a folder, not a file", place: shown,
                           hint: "give the path of the \(kind) itself" + (kind == "training config" ? "; to continue the run in a folder, use --resume" : ""))
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ZooError("cannot read the \(kind)", place: shown,
                           hint: FileManager.default.fileExists(atPath: path) ? "check its permissions" : "no file exists at this path")
        }
        guard data.count <= maximumBytes else {
            throw ZooError("the file is \(data.count) bytes; \(kind)s may be at most \(maximumBytes) bytes", place: shown)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ZooError("the \(kind) is not UTF-8 text", place: shown)
        }
        return text
    }

    /// libyaml's own message for a tab is "found character that cannot start any token"; say what it means.
    static func rejectTabIndentation(_ text: String, file: String) throws {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let indentation = line.prefix { $0 == " " || $0 == "\t" || $0 == "-" }
            if let tab = indentation.firstIndex(of: "\t") {
                let column = line.distance(from: line.startIndex, to: tab) + 1
                throw ZooError("a tab is used for indentation; YAML indentation must be spaces",
                               at: SourceLocation(file: file, line: index + 1, column: column),
                               hint: "replace the tab with spaces (most editors can insert spaces for tabs)")
            }
        }
    }

    /// Yams hashes mapping keys to find duplicates; a key that is itself a list or mapping (`? [...]`)
    /// could hide an exponential alias expansion inside that hash, before any limit can be checked.
    /// Architecture files never need such keys, so explicit keys are refused before parsing.
    static func rejectComplexKeys(_ text: String, file: String) throws {
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var rest = line.drop { $0 == " " }
            while rest.hasPrefix("- ") { rest = rest.dropFirst(2).drop { $0 == " " } }
            if rest == "?" || rest.hasPrefix("? ") {
                let column = line.distance(from: line.startIndex, to: rest.startIndex) + 1
                throw ZooError("explicit `?` mapping keys are not supported in architecture files",
                               at: SourceLocation(file: file, line: index + 1, column: column),
                               hint: "write keys as plain words, e.g. `out: 6`")
            }
        }
    }

    static func zooError(from error: YamlError, file: String) -> ZooError {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _):
            let detail = context.map { " (\($0.text) at line \($0.mark.line), column \($0.mark.column))" } ?? ""
            var hint = "check the indentation and punctuation on this line and the one before it"
            if problem.contains("cannot start any token") {
                hint = "a value may not start with characters such as @ or `; put the value in quotes"
            } else if problem.contains("mapping values are not allowed") {
                hint = "a value containing `: ` must be quoted, or a `- ` or indentation is missing"
            } else if problem.contains("Maximum nesting level") {
                hint = "the file nests lists or mappings too deeply"
            }
            return ZooError("YAML syntax error: \(problem)\(detail)", at: at(mark), hint: hint)
        case .composer(let context, let problem, let mark, _):
            if let context, context.text.hasPrefix("expected a single document") {
                return ZooError("the file holds more than one YAML document (a second `---`)", at: at(mark),
                                hint: "an architecture file holds exactly one architecture")
            }
            if problem.contains("undefined alias") {
                return ZooError("the YAML alias refers to an anchor that is not defined before it", at: at(mark),
                                hint: "define `&name` before using `*name`")
            }
            return ZooError("YAML error: \(problem)", at: at(mark))
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "`\($0)`" }.joined(separator: ", ")
            return ZooError("the key \(keys) appears more than once in the same mapping", at: at(context.mark),
                            hint: "each key may appear once; remove or rename the repeated one")
        case .reader(let problem, let offset, _, _):
            return ZooError("the file is not valid text: \(problem)", place: "\(file) at character \(offset ?? 0)")
        case .memory:
            return ZooError("out of memory while reading YAML", place: file)
        case .dataCouldNotBeDecoded:
            return ZooError("the file is not UTF-8 text", place: file)
        default:
            return ZooError("YAML error: \(error)", place: file)
        }
    }

    private static func check(_ node: Node, depth: Int, count: inout Int, file: String) throws {
        count += 1
        let location = ZooConfig.location(node, file)
        if count > maximumNodes {
            throw ZooError("the file expands to more than \(maximumNodes) YAML values", at: location,
                           hint: "anchors and aliases (`&a`, `*a`) that refer to each other multiply the size; use fewer")
        }
        if depth > maximumDepth {
            throw ZooError("the file nests lists and mappings more than \(maximumDepth) levels deep", at: location)
        }
        let tag = tagName(node)
        if !allowedTags.contains(tag) {
            throw ZooError("the YAML tag `\(tag.rawValue)` is not supported", at: location,
                           hint: "architecture files hold only numbers, words, lists and mappings; remove the `!` tag")
        }
        switch node {
        case .scalar, .alias: break
        case .sequence(let sequence):
            for element in sequence { try check(element, depth: depth + 1, count: &count, file: file) }
        case .mapping(let mapping):
            for (key, value) in mapping {
                try check(key, depth: depth + 1, count: &count, file: file)
                try check(value, depth: depth + 1, count: &count, file: file)
            }
        }
    }
}
