import ZooCore

/// What an architecture needs to know about a dataset: the shape of one image and the number of classes.
/// Kept here (not in ZooData) so listing and summarising architectures needs no dataset files.
public struct DatasetInput: Sendable, Equatable {
    public let name: String
    public let shape: Shape
    public let numClasses: Int

    public init(name: String, shape: Shape, numClasses: Int) {
        self.name = name
        self.shape = shape
        self.numClasses = numClasses
    }

    public static let all: [DatasetInput] = [
        DatasetInput(name: "mnist", shape: Shape([1, 28, 28]), numClasses: 10),
        DatasetInput(name: "fashion-mnist", shape: Shape([1, 28, 28]), numClasses: 10),
        DatasetInput(name: "cifar10", shape: Shape([3, 32, 32]), numClasses: 10),
        DatasetInput(name: "cifar100", shape: Shape([3, 32, 32]), numClasses: 100),
    ]

    public static let mnist = all[0]

    public static var names: [String] { all.map(\.name) }

    /// Looks a dataset up by name, e.g. from `--dataset`. Unknown names are errors with the nearest name.
    public static func named(_ name: String) throws -> DatasetInput {
        let key = name.lowercased()
        if let dataset = all.first(where: { $0.name == key || $0.name.replacingOccurrences(of: "-", with: "") == key.replacingOccurrences(of: "-", with: "").replacingOccurrences(of: "_", with: "") }) {
            return dataset
        }
        let known = "known datasets: " + names.joined(separator: ", ")
        throw ZooError("unknown dataset `\(name)`",
                       hint: nearest(to: name, in: names).map { "did you mean `\($0)`? \(known)" } ?? known)
    }
}
