import Foundation
import XCTest
import ZooConfig
import ZooCore
import ZooData

/// A student's first files after the PyTorch labs: PyTorch's spellings are translated, names are
/// case-insensitive, and every unknown setting of a file is reported in one run.
final class PyTorchHabitTests: ArchitectureTestCase {
    /// The PyTorch-style file of the issue: all six mistakes in one error, each at its line with its translation
    /// (`BatchNorm2d` is accepted as PyTorch spells it).
    func testEveryPyTorchSpellingOfAFileIsTranslatedInOneError() throws {
        let yaml = layers("""
              - Conv2d: {in_channels: 1, out_channels: 6, kernel_size: 5}
              - ReLU
              - MaxPool2d: 2
              - BatchNorm2d
              - Dropout2d
              - Flatten
              - Linear: {in_features: 864, out_features: 10}

            """)
        XCTAssertThrowsError(try Architecture.parse(text: yaml, file: "bad.yaml").layers(numClasses: 10, inputChannels: 1, overrides: [:])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("6 mistakes"), text)
            for expected in ["bad.yaml:3:", "input sizes are inferred from the previous layer: remove it", "zoo calls it `out`",
                             "zoo calls it `kernel`",
                             "bad.yaml:7:5: unknown layer type `Dropout2d`", "zeroes whole channels", "bad.yaml:9:"] {
                XCTAssertTrue(text.contains(expected), "missing \(expected) in \(text)")
            }
            XCTAssertFalse(text.contains("did you mean `dropout`"), text)
            XCTAssertFalse(text.contains("BatchNorm2d"), text)
        }
    }

    /// Fixed as the messages say, the same file builds; PyTorch's class names are accepted in any case.
    func testLayerNamesAreCaseInsensitive() throws {
        let yaml = layers("""
              - Conv2d: {out: 6, kernel: 5}
              - ReLU
              - MaxPool2d: 2
              - BATCHNORM
              - Flatten
              - Linear: {out: 10}
              - LogSoftmax

            """)
        let network = try Architecture.parse(text: yaml, file: "net.yaml").network(dataset: .mnist)
        XCTAssertEqual(network.entries.map(\.description.type), ["conv2d", "relu", "maxpool2d", "batchnorm", "flatten", "linear", "log_softmax"])
    }

    func testPaddingSameKeepsTheSizeAtStrideOne() throws {
        let network = try Architecture.parse(text: layers("  - conv2d: {out: 4, kernel: 5, padding: same}\n  - conv2d: {out: 4, kernel: 3, dilation: 2, padding: same}\n"),
                                             file: "net.yaml").network(dataset: .mnist)
        XCTAssertEqual(network.entries.map(\.outputShape), [Shape([4, 28, 28]), Shape([4, 28, 28])])
        expectError(layers("  - conv2d: {out: 4, kernel: 3, stride: 2, padding: same}\n"), line: 3, "`padding: same` needs stride 1")
        expectError(layers("  - conv2d: {out: 4, kernel: 4, padding: same}\n"), line: 3, "needs an odd kernel")
    }

    func testLearningRateIsTranslatedAndEveryUnknownKeyIsReportedTogether() {
        let yaml = "model: lenet\noptimizer: {name: sgd, learning_rate: 0.01}\nepoch: 3\n"
        XCTAssertThrowsError(try TrainingConfig.resolve(text: yaml, file: "run.yaml", overrides: [])) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("2 mistakes"), text)
            XCTAssertTrue(text.contains("run.yaml:2:24: the sgd optimizer has no key `learning_rate`"), text)
            XCTAssertTrue(text.contains("zoo calls it `lr`"), text)
            XCTAssertTrue(text.contains("run.yaml:3:1: a training config has no key `epoch`"), text)
        }
    }

    func testConfigNamesAreCaseInsensitive() throws {
        let config = try TrainingConfig.resolve(text: "model: LeNet\ndataset: {name: MNIST, Pad_To: 32}\noptimizer: {name: SGD, LR: 0.1}\n"
                                                + "schedule: {name: Cosine, t_max: 2}\nloss: CrossEntropy\n", file: "run.yaml", overrides: [])
        XCTAssertEqual(config.dataset, .builtIn(.mnist))
        XCTAssertEqual(config.optimizer.name.rawValue, "sgd")
        XCTAssertEqual(config.optimizer.learningRate, 0.1)
        XCTAssertEqual(config.schedule.name, "cosine")
        XCTAssertEqual(config.loss, .crossEntropy)
        XCTAssertEqual(config.transforms.map(\.name), ["pad_to"])
    }

    func testDatasetShortFormsSuggestTheirDataset() {
        for typed in ["fmnist", "fashion", "FMNIST"] {
            XCTAssertThrowsError(try DatasetName.parse(typed)) { error in
                XCTAssertTrue((error as? ZooError)?.hint?.hasPrefix("did you mean `fashion-mnist`?") == true, "\(error)")
            }
        }
    }

    /// A flag's mistake quotes the flag, and a model parameter's the `--set` as typed, not the rewritten setting.
    func testErrorsQuoteWhatTheUserTyped() throws {
        XCTAssertThrowsError(try TrainingConfig.defaults(settings: [ConfigOverride("dataset=fmnist", typed: "--dataset fmnist")])) { error in
            XCTAssertEqual((error as? ZooError)?.place, "--dataset fmnist", "\(error)")
        }
        let config = try TrainingConfig.defaults(overrides: ["model.width=4"])
        let architecture = try ArchitectureRegistry().architecture(named: config.model)
        XCTAssertThrowsError(try architecture.network(dataset: .mnist, overrides: config.modelParameters, places: config.modelParameterPlaces.byKey)) { error in
            XCTAssertEqual((error as? ZooError)?.place, "--set model.width=4", "\(error)")
        }
        let fromFile = try TrainingConfig.resolve(text: "model: {name: lenet, width: 4}\n", file: "run.yaml", overrides: [])
        XCTAssertThrowsError(try architecture.network(dataset: .mnist, overrides: fromFile.modelParameters, places: fromFile.modelParameterPlaces.byKey)) { error in
            XCTAssertEqual((error as? ZooError)?.place, "run.yaml:1:29", "\(error)")
        }
    }
}
