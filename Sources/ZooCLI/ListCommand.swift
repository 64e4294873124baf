import ArgumentParser
import Foundation
import ZooConfig
import ZooCore

/// `zoo list`: every architecture the registry finds, with its size for one dataset's input.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the architectures: built-ins, ./zoo/*.yaml and each ZOO_PATH folder.",
        discussion: "Parameters and multiply-accumulates (MACs) are per image for the chosen dataset's input shape. "
            + "Files in ./zoo and ZOO_PATH folders override built-ins of the same name.")

    @OptionGroup var datasetOption: DatasetOption

    /// JSON: an array of {name, description, params, macs, source, origin, error} (and `accuracy` with --results).
    @OptionGroup var jsonOption: JSONOption

    @Flag(help: "Add the test accuracy per dataset from the results table (docs/results.csv).")
    var results = false

    struct Row: Encodable {
        let name: String
        let description: String
        let params: Int?
        let macs: Int?
        let source: String
        let origin: String
        let error: String?
        /// By dataset, "mean ± std" percent over the table's seeds.
        var accuracy: [String: String]?
    }

    func run() throws {
        let input = try datasetOption.dataset.input
        let entries = ArchitectureRegistry().entries()
        var rows = entries.map { row(for: $0, input: input) }
        let published = results ? try ResultsTable.locate() : nil
        if let published {
            for index in rows.indices {
                let name = rows[index].name
                // A row measured at another size (a recipe's `params:`) is marked, as the listed size is not its own.
                rows[index].accuracy = (published.accuracies[name] ?? [:]).reduce(into: [:]) { marked, entry in
                    marked[entry.key] = entry.value + (published.parameters[name]?[entry.key] == rows[index].params ? "" : "*")
                }
            }
        }
        if jsonOption.json { return try printJSON(rows) }
        // MNIST, Fashion-MNIST, then the others by name.
        let order = { (name: String) in (["mnist", "fashion-mnist"].firstIndex(of: name) ?? 2, name) }
        let datasets = Set(rows.flatMap { $0.accuracy?.keys.map { $0 } ?? [] }).sorted { order($0) < order($1) }
        let cells = zip(entries, rows).map { entry, row -> [String] in
            let size = row.params.map(grouped) ?? "-"
            let macs = row.macs.map(grouped) ?? "-"
            let from = row.origin + (entry.overridesBuiltIn ? " (overrides built-in)" : "")
            return [row.name, size, macs] + datasets.map { row.accuracy?[$0] ?? "-" } + [from, row.error ?? row.description]
        }
        print("Architectures for \(input.name) (input \(input.shape), \(input.numClasses) classes):\n")
        print(table(["NAME", "PARAMS", "MACS"] + datasets.map { "\($0.uppercased()) %" } + ["FROM", "DESCRIPTION"], cells,
                         rightAligned: Set(1..<(3 + datasets.count))))
        if let published {
            print("\nAccuracy: test set, mean ± std over seeds, from \(published.path); * measured at another size set by the recipe's "
                  + "model parameters (docs/results.md has each row's recipe and parameter count).")
        }
    }

    private func row(for entry: ArchitectureEntry, input: DatasetInput) -> Row {
        switch entry.result {
        case .failure(let error):
            return Row(name: entry.name, description: "", params: nil, macs: nil, source: entry.path,
                       origin: entry.origin.description, error: error.description.replacingOccurrences(of: "\n  hint: ", with: "; hint: "))
        case .success(let architecture):
            do {
                let network = try architecture.shapes(dataset: input)
                return Row(name: entry.name, description: architecture.description, params: network.parameterCount,
                           macs: network.multiplyAccumulates, source: entry.path, origin: entry.origin.description, error: nil)
            } catch {
                // Mostly the input shape; the layer list is checked as it is expanded for an input, so `zoo summary` says which.
                return Row(name: entry.name, description: architecture.description, params: nil, macs: nil, source: entry.path,
                           origin: entry.origin.description, error: "does not fit \(input.shape) (see `zoo summary \(entry.name) --dataset \(input.name)`)")
            }
        }
    }
}
