import Foundation
import XCTest
@testable import ZooData

final class WeightsCatalogTests: XCTestCase {
    /// A weights folder with one file and a manifest recording its digest.
    private func folder(bytes: [UInt8] = Array("weights of lenet".utf8)) throws -> String {
        let folder = try temporaryFolder()
        try write(bytes, to: folder + "/lenet_mnist.safetensors")
        let manifest = """
            {"lenet@mnist": {"file": "lenet_mnist.safetensors", "sha256": "\(SHA256.hex(of: bytes))", "test_accuracy": 99.01, "seed": 2}}
            """
        try write(Array(manifest.utf8), to: folder + "/manifest.json")
        return folder
    }

    func testANameResolvesToItsFileOnceTheDigestMatches() throws {
        let folder = try folder()
        let catalog = try WeightsCatalog.locate(searching: [folder + "/absent", folder])
        XCTAssertEqual(catalog.folder, folder)
        XCTAssertEqual(catalog.entries["lenet@mnist"]?.testAccuracy, 99.01)
        XCTAssertEqual(try catalog.path(for: "lenet@mnist"), folder + "/lenet_mnist.safetensors")
    }

    func testAnAlteredFileIsRefusedByItsDigest() throws {
        let folder = try folder()
        let path = folder + "/lenet_mnist.safetensors"
        try write(Array("weights of lenex".utf8), to: path)
        assertZooError(["lenet@mnist", "SHA-256", "damaged or altered", "not loaded", path]) {
            _ = try WeightsCatalog(folder: folder).path(for: "lenet@mnist")
        }
    }

    func testUnknownNamesAndMissingFoldersSayWhatThereIs() throws {
        let folder = try folder()
        assertZooError(["no shipped weights are called `lenet@mnsit`", "did you mean `lenet@mnist`?"]) {
            _ = try WeightsCatalog(folder: folder).path(for: "lenet@mnsit")
        }
        assertZooError(["no weights folder", "/nowhere/weights", "/else/weights"]) {
            _ = try WeightsCatalog.locate(searching: ["/nowhere/weights", "/else/weights"])
        }
        try write(Array("[1, 2]".utf8), to: folder + "/manifest.json")
        assertZooError(["manifest.json", "not a JSON object"]) { _ = try WeightsCatalog(folder: folder) }
    }

    func testSearchOrderIsTheVariableThenTheWorkingFolderThenAboveTheExecutable() {
        XCTAssertEqual(WeightsCatalog.searchFolders(environment: ["ZOO_WEIGHTS": "/mine"], executable: "/repo/.build/x86_64-unknown-linux-gnu/release/zoo"),
                       ["/mine", "weights", "/repo/.build/x86_64-unknown-linux-gnu/weights", "/repo/.build/weights", "/repo/weights"])
        XCTAssertEqual(WeightsCatalog.searchFolders(environment: [:], executable: nil), ["weights"])
    }

    func testOnlyModelAtDatasetIsAName() {
        XCTAssertTrue(WeightsCatalog.isName("lenet@mnist"))
        XCTAssertTrue(WeightsCatalog.isName("resnet20@fashion-mnist"))
        for argument in ["runs/a/best.safetensors", "lenet@", "@mnist", "a@b@c", "../x@y", "lenet"] {
            XCTAssertFalse(WeightsCatalog.isName(argument), argument)
        }
    }
}
