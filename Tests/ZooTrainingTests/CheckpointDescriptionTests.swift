import Foundation
import XCTest
@testable import ZooTraining
import ZooCore

final class CheckpointDescriptionTests: XCTestCase {
    private func description(modelParameters: String) throws -> CheckpointDescription {
        let metadata = [
            "architecture": "name: fc\nparams: {n_hidden: 8, p: 0.5}\nlayers: [flatten, {linear: n_hidden}, {dropout: p}, {linear: num_classes}]\n",
            "model_parameters": modelParameters, "dataset": "mnist", "input_shape": "[1,28,28]",
            "class_names": String(decoding: try JSONEncoder().encode((0..<10).map(String.init)), as: UTF8.self),
            "normalization": "null", "test_transforms": "[]", "loss": Loss.crossEntropy.rawValue, "epoch": "1",
        ]
        return try CheckpointDescription(metadata: metadata, path: "fc.safetensors")
    }

    /// Parameters are stored as JSON numbers and true/false; checkpoints from before held their text.
    func testModelParametersKeepTheirTypeAndOlderTextOnesAreRead() throws {
        let parameters: [String: ArgumentValue] = ["n_hidden": .int(16), "p": .double(0.25)]
        let written = String(decoding: try JSONEncoder().encode(parameters), as: UTF8.self)
        XCTAssertEqual(try description(modelParameters: written).modelParameters, parameters)
        XCTAssertEqual(try description(modelParameters: "{\"n_hidden\":\"16\",\"p\":\"0.25\"}").modelParameters, parameters)
    }
}
