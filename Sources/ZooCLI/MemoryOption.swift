import ArgumentParser
import ZooCore

/// `--max-memory`, for every command that builds a network.
struct MemoryOption: ParsableArguments {
    @Option(name: .customLong("max-memory"),
            help: ArgumentHelp("Memory budget zoo may use, such as 8GB or 75% (default: half of physical memory).", valueName: "SIZE"))
    var maxMemory: String?

    func apply() throws {
        guard let maxMemory else { return MemoryBudget.resetLimit() }
        MemoryBudget.setLimit(try MemoryBudget.parse(maxMemory), origin: "--max-memory \(maxMemory)")
    }
}
