import ArgumentParser
import Foundation
import ZooCore
import ZooData
import ZooReport

extension DataCommand {
    /// `zoo data images mnist --split test --count 20 OUT/`: a dataset's images as PNG files, one folder per class,
    /// to look at, to predict, or to train on as a folder dataset.
    struct Images: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a dataset's images as PNG files: OUT/CLASS/NNNNN.png (with --split all, OUT/train/... and OUT/test/...).")

        @Argument(help: "The dataset to read.") var name: DatasetArgument
        @Argument(help: "The folder to write into.") var out: String
        @Option(help: "train, test or all.") var split = "test"
        @Option(help: "Write only the first N images of each split.") var count: Int?
        @OptionGroup var dataDirectoryOption: DataDirectoryOption

        func run() throws {
            guard ["train", "test", "all"].contains(split) else { throw ZooError("--split is train, test or all, not `\(split)`") }
            if let count, count < 1 { throw ZooError("--count must be at least 1, not \(count)") }
            let dataset = try DatasetCatalog.load(try name.name, dataDirectory: dataDirectoryOption.dataDirectory)
            let parts = split == "all" ? [("train", dataset.train), ("test", dataset.test)]
                : [(split, split == "train" ? dataset.train : dataset.test)]
            // Files go into a hidden sibling folder renamed to OUT at the end: the folder appears whole or not at all,
            // without an fsync per image (as writeAtomically would do, 70,000 times).
            guard !FileManager.default.fileExists(atPath: out) else {
                throw ZooError("already exists", place: out, hint: "name a folder that does not exist yet")
            }
            let parent = (out as NSString).deletingLastPathComponent
            let partial = ((parent.isEmpty ? "." : parent) as NSString)
                .appendingPathComponent(".\((out as NSString).lastPathComponent).partial-\(getpid())")
            defer { try? FileManager.default.removeItem(atPath: partial) }
            var written = 0
            for (part, images) in parts {
                let folder = split == "all" ? (partial as NSString).appendingPathComponent(part) : partial
                written += try write(images, classNames: dataset.classNames, to: folder)
            }
            guard rename(partial, out) == 0 else { throw fileSystemError("rename the finished folder to", path: out, code: errno) }
            print("wrote \(grouped(written)) PNG images of \(dataset.source.name) into \(out)")
        }

        /// Class folders are named after the classes (`/` becomes `-`); files are numbered by their place in the split.
        private func write(_ split: DatasetSplit, classNames: [String], to folder: String) throws -> Int {
            let folders = classNames.map { (folder as NSString).appendingPathComponent($0.replacingOccurrences(of: "/", with: "-")) }
            for path in folders {
                do {
                    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
                } catch {
                    throw fileSystemError("create the folder", path: path, error: error)
                }
            }
            let imageBytes = split.channels * split.height * split.width
            let total = min(count ?? split.count, split.count)
            for index in 0..<total {
                let pixels = Array(split.images[index * imageBytes ..< (index + 1) * imageBytes])
                let png = try PNG.encode(planar: pixels, channels: split.channels, height: split.height, width: split.width)
                let file = (folders[Int(split.labels[index])] as NSString).appendingPathComponent(String(format: "%05d.png", index))
                try writeFile(png, to: file)
            }
            return total
        }

        /// A plain write: Foundation's Data.write syncs every file to disk, which made 10,000 images take a minute.
        private func writeFile(_ bytes: [UInt8], to path: String) throws {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw fileSystemError("create", path: path, code: errno) }
            defer { close(descriptor) }
            let count = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            guard count == bytes.count else { throw fileSystemError("write", path: path, code: errno) }
        }
    }
}
