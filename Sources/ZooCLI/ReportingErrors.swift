import ArgumentParser
import Foundation
import ZooCore

/// Runs a command body; a `ZooError` (or any other error) is printed to standard error and the
/// process exits with status 1, without a trap or stack trace. Every subcommand's `run()` uses this.
func runReportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch let error as ZooError {
        printError(error.description)
        throw ExitCode(1)
    } catch {
        printError("error: \(error)")
        throw ExitCode(1)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Left-aligned text columns, except those in `rightAligned` (numbers).
func table(_ header: [String], _ rows: [[String]], rightAligned: Set<Int> = []) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    func line(_ row: [String]) -> String {
        row.indices.map { column in
            let cell = row[column]
            let padding = String(repeating: " ", count: widths[column] - cell.count)
            if column == row.count - 1 && !rightAligned.contains(column) { return cell }
            return rightAligned.contains(column) ? padding + cell : cell + padding
        }.joined(separator: "  ")
    }
    return ([line(header)] + rows.map(line)).joined(separator: "\n")
}

/// Pretty, key-sorted JSON for `--json` output.
func printJSON<Value: Encodable>(_ value: Value) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// `--set KEY=VALUE` options as a dictionary.
func parseOverrides(_ settings: [String]) throws -> [String: String] {
    var overrides: [String: String] = [:]
    for setting in settings {
        guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
            throw ZooError("--set expects KEY=VALUE, such as `--set n_hidden=16`, not `\(setting)`")
        }
        let key = String(setting[..<equals]).trimmingCharacters(in: .whitespaces)
        if overrides[key] != nil { throw ZooError("--set \(key) is given more than once") }
        overrides[key] = String(setting[setting.index(after: equals)...])
    }
    return overrides
}
