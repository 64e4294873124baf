import ArgumentParser
import Foundation
import ZooCore
import ZooData

/// `zoo data`: find, fetch and benchmark the image datasets.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Find, fetch and benchmark datasets (MNIST, Fashion-MNIST, CIFAR-10, CIFAR-100).",
        subcommands: [List.self, Fetch.self, Bench.self, Images.self]
    )

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each dataset: where it was found, image counts and shape.")

        @OptionGroup var dataDirectoryOption: DataDirectoryOption
        @OptionGroup var jsonOption: JSONOption

        func run() throws {
            let summaries = DatasetName.allCases.map { DatasetCatalog.summary($0, dataDirectory: dataDirectoryOption.dataDirectory) }
            if jsonOption.json { return try printJSON(summaries) }
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

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download a dataset from its public mirror, check its SHA-256 and unpack it.")

        @Argument(help: "The dataset to download.")
        var name: DatasetArgument

        @OptionGroup var dataDirectoryOption: DataDirectoryOption

        @Option(help: "Base URL to download the files from instead of the usual mirror.")
        var mirror: String?

        func run() throws {
            let dataset = try name.name
            let folder = try DatasetFetcher.fetch(dataset, dataDirectory: dataDirectoryOption.dataDirectory, mirror: mirror)
            print("\(dataset.rawValue) is ready in \(folder)")
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Measure how many training images per second the loader delivers.")

        @Argument(help: "The dataset to read: a name, or a folder of images (its decoding is timed too).")
        var name: DatasetArgument

        @Option(help: "Images per batch.")
        var batch = 128

        @Flag(help: "Random crop (padding 4) and horizontal flip, as in CIFAR training.")
        var augment = false

        @OptionGroup var dataDirectoryOption: DataDirectoryOption

        @Option(help: "Seconds to measure for, after a warm-up.")
        var seconds = 3.0

        func run() throws {
            let dataDirectory = dataDirectoryOption.dataDirectory
            let split: DatasetSplit
            let normalization: Normalization
            let shown: String
            switch try name.source {
            case .folder(let settings):
                // A folder is decoded once, on every core; then batches come from memory, as from IDX files.
                let start = DispatchTime.now().uptimeNanoseconds
                let dataset = try ImageFolder.load(settings, warn: printWarning)
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let count = dataset.train.count + dataset.test.count
                print(String(format: "%@: read and decoded %@ images in %.2f s (%@ images/s, %d cores)", settings.path, grouped(count), seconds,
                             grouped(Int(Double(count) / seconds)), ProcessInfo.processInfo.activeProcessorCount))
                (split, normalization, shown) = (dataset.train, dataset.defaultNormalization, settings.path)
            case .builtIn(let dataset):
                if dataset.channels == 3, DatasetCatalog.summary(dataset, dataDirectory: dataDirectory).location == nil {
                    print("\(dataset.rawValue) not found: benchmarking on 50000 generated random images instead")
                    split = .random(count: 50000, channels: 3, height: 32, width: 32, classCount: dataset.classCount, seed: 1)
                } else {
                    split = try DatasetCatalog.load(dataset, dataDirectory: dataDirectory).train
                }
                (normalization, shown) = (dataset.defaultNormalization, dataset.rawValue)
            }
            let transforms: [Transform] = augment ? [.randomCrop(size: split.height, padding: 4), .horizontalFlip] : []
            let loader = try BatchLoader(split: split, batchSize: batch, shuffle: true, seed: 1, transforms: transforms,
                                     normalization: normalization)
            // Reading one value per batch keeps the work from being optimised away.
            var checksum: Float = 0
            var epoch = 0
            func images(for duration: Double) -> (count: Int, seconds: Double) {
                let start = DispatchTime.now().uptimeNanoseconds
                var count = 0
                var elapsed = 0.0
                while elapsed < duration {
                    guard let next = loader.nextBatch() else {
                        epoch += 1
                        loader.start(epoch: epoch)
                        continue
                    }
                    count += next.count
                    checksum += next.images[0]
                    elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                }
                return (count, elapsed)
            }
            _ = images(for: min(1, seconds))
            let measured = images(for: seconds)
            let rate = Double(measured.count) / measured.seconds
            print("\(shown): \(Int(rate)) images/s (batch \(batch), \(augment ? "crop+flip" : "no augmentation"), "
                  + "\(measured.count) images in \(String(format: "%.2f", measured.seconds)) s; checksum \(checksum))")
        }
    }
}
