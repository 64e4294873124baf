import Foundation
import XCTest
import ZooConfig
import ZooCore

/// Each file kind where a user would hand it: an architecture file or a folder where a training config
/// is expected, and the config as printed when training starts.
final class FileKindTests: XCTestCase {
    private var folders: [String] = []

    override func tearDown() {
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
    }

    private func temporaryFolder() throws -> String {
        let folder = NSTemporaryDirectory() + "zoo-kinds-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        folders.append(folder)
        return folder
    }

    func testAnArchitectureFileIsTrainedWithTheDefaultRecipe() throws {
        let folder = try temporaryFolder()
        let path = folder + "/my-net.yaml"
        try "name: my-net\ndescription: mine\nlayers:\n  - flatten\n  - linear: num_classes\n".write(toFile: path, atomically: true, encoding: .utf8)
        let config = try TrainingConfig.load(path: path, overrides: ["dataset=fashion-mnist"])
        XCTAssertEqual(config.model, path)
        XCTAssertEqual(config.name, "my-net")
        XCTAssertEqual(config.dataset, .builtIn(.fashionMNIST))
        XCTAssertEqual(config.optimizer, try TrainingConfig.defaults(overrides: []).optimizer)
        XCTAssertFalse(TrainingConfig.isTrainingConfig(path: path))
        try "model: lenet\nepochs: 2\n".write(toFile: folder + "/run.yaml", atomically: true, encoding: .utf8)
        XCTAssertTrue(TrainingConfig.isTrainingConfig(path: folder + "/run.yaml"))
    }

    func testAFolderWhereAConfigWasExpectedIsCalledAFolder() throws {
        let folder = try temporaryFolder()
        XCTAssertThrowsError(try TrainingConfig.load(path: folder, overrides: [])) { error in
            XCTAssertEqual((error as? ZooError)?.message, "this is a folder, not a file")
            XCTAssertFalse("\(error)".contains("permissions"), "\(error)")
        }
    }

    /// The printed config names the loss in use; config.yaml keeps it unset, so the model's last layer still chooses.
    func testThePrintedConfigSaysWhichLossIsUsed() throws {
        let config = try TrainingConfig.defaults(overrides: [])
        let printed = config.resolvedYAML(chosenLoss: .nll)
        XCTAssertTrue(printed.contains("loss: nll  # not set: the model ends in log_softmax"), printed)
        XCTAssertFalse(printed.contains("else cross_entropy"), printed)
        XCTAssertTrue(config.resolvedYAML(chosenLoss: .crossEntropy).contains("loss: cross_entropy  #"))
        XCTAssertEqual(try TrainingConfig.resolve(text: printed, file: "printed.yaml", overrides: []).loss, .nll)
        XCTAssertNil(try TrainingConfig.resolve(text: config.resolvedYAML, file: "config.yaml", overrides: []).loss)
    }
}
