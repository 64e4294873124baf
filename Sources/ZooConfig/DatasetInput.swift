import ZooCore
import ZooData

/// What an architecture needs to know about a dataset: the shape of one image and the number of classes,
/// known without reading any dataset file.
public struct DatasetInput: Sendable, Equatable {
    public let name: String
    public let shape: Shape
    public let numClasses: Int

    public init(name: String, shape: Shape, numClasses: Int) {
        (self.name, self.shape, self.numClasses) = (name, shape, numClasses)
    }

    public init(_ dataset: DatasetName) {
        name = dataset.rawValue
        shape = Shape([dataset.channels, dataset.height, dataset.width])
        numClasses = dataset.classCount
    }

    public static let all = DatasetName.allCases.map(DatasetInput.init)
    public static let mnist = DatasetInput(.mnist)

    /// Looks a dataset up by name, e.g. from `--dataset`; unknown names are errors with the nearest name.
    public static func named(_ name: String) throws -> DatasetInput { DatasetInput(try DatasetName.parse(name)) }
}
