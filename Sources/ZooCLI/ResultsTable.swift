import Foundation
import ZooCore
import ZooData

/// docs/results.csv as `zoo list --results` reads it: test accuracy (mean ± std over seeds) by model and dataset.
struct ResultsTable {
    let path: String
    /// Keyed by model, then dataset name: "99.02 ± 0.05".
    let accuracies: [String: [String: String]]
    /// The parameter count each row was measured with (a recipe may set the model's `params:`), same keys.
    let parameters: [String: [String: Int]]

    /// ./docs/results.csv, else the repository's beside the executable.
    static func locate() throws -> ResultsTable {
        let candidates = (["docs"] + WeightsCatalog.foldersAboveExecutable(named: "docs")).map { ($0 as NSString).appendingPathComponent("results.csv") }
        guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw ZooError("no results table was found; looked for \(candidates.joined(separator: ", "))",
                           hint: "run zoo from the repository, or regenerate the table with python3 scripts/results.py")
        }
        return try ResultsTable(path: path)
    }

    init(path: String) throws {
        self.path = path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ZooError.unreadable(path) }
        // Python writes "\r\n", one Character in Swift.
        let rows = text.split(whereSeparator: \.isNewline).map { csvFields(String($0)) }
        guard let header = rows.first, let model = header.firstIndex(of: "model"), let dataset = header.firstIndex(of: "dataset"),
              let mean = header.firstIndex(of: "accuracy_mean"), let std = header.firstIndex(of: "accuracy_std"),
              let params = header.firstIndex(of: "params") else {
            throw ZooError("the results table lacks one of the columns model, dataset, accuracy_mean, accuracy_std, params", place: path,
                           hint: "regenerate it with python3 scripts/results.py --table-only")
        }
        var accuracies: [String: [String: String]] = [:], parameters: [String: [String: Int]] = [:]
        for (line, row) in rows.enumerated().dropFirst() {
            guard row.count == header.count else {
                throw ZooError("row \(line + 1) has \(row.count) fields, the header \(header.count)", place: path,
                               hint: "regenerate the table with python3 scripts/results.py --table-only")
            }
            guard !row[mean].isEmpty else { continue }
            accuracies[row[model], default: [:]][row[dataset]] = "\(row[mean]) ± \(row[std])"
            parameters[row[model], default: [:]][row[dataset]] = Int(row[params])
        }
        self.accuracies = accuracies
        self.parameters = parameters
    }
}

/// One CSV line's fields, as Python's csv module writes them: quoted when they hold commas or quotes ("" inside).
func csvFields(_ line: String) -> [String] {
    var fields: [String] = [], field = "", quoted = false, previous: Character? = nil
    for character in line {
        switch (character, quoted) {
        case ("\"", false) where field.isEmpty: quoted = true
        case ("\"", true): quoted = false
        case ("\"", false) where previous == "\"": field.append("\""); quoted = true
        case (",", false): fields.append(field); field = ""
        case ("\r", false): break
        default: field.append(character)
        }
        previous = character
    }
    return fields + [field]
}
