import ArgumentParser
import Foundation
import ZooData

/// `zoo data`: find, fetch and benchmark the image datasets.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Find, fetch and benchmark datasets (MNIST, Fashion-MNIST, CIFAR-10, CIFAR-100).",
        subcommands: [List.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each dataset: where it was found, image counts and shape.")

        @Option(name: .customLong("data-dir"), help: "Data directory, searched before $ZOO_DATA and ./data.")
        var dataDirectory: String?

        @Flag(help: "Print JSON instead of a table.")
        var json = false

        func run() throws {
            let summaries = DatasetName.allCases.map { DatasetCatalog.summary($0, dataDirectory: dataDirectory) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(summaries), as: UTF8.self))
                return
            }
            for summary in summaries {
                let shape = "\(summary.channels)x\(summary.height)x\(summary.width)"
                let name = summary.name.padding(toLength: 14, withPad: " ", startingAt: 0)
                if let location = summary.location, let train = summary.trainCount, let test = summary.testCount {
                    print("\(name) \(shape)  train \(train), test \(test)  in \(location)")
                } else {
                    print("\(name) \(shape)  not available")
                    if let problem = summary.problem { print(problem.split(separator: "\n").map { "    \($0)" }.joined(separator: "\n")) }
                }
            }
        }
    }
}
