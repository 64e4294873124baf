import Foundation
import XCTest
@testable import ZooTraining
import ZooConfig
import ZooCore

/// Run folders where a checkpoint is taken, and what a resume may change.
final class RunFolderTests: XCTestCase {
    private var folders: [String] = []

    override func tearDown() {
        for folder in folders { try? FileManager.default.removeItem(atPath: folder) }
    }

    private func runFolder(with files: [String]) throws -> String {
        let folder = NSTemporaryDirectory() + "zoo-run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        folders.append(folder)
        for file in files { try Data().write(to: URL(fileURLWithPath: folder + "/" + file)) }
        return folder
    }

    func testARunFolderMeansItsBestCheckpointElseItsLast() throws {
        let both = try runFolder(with: ["best.safetensors", "last.safetensors"])
        XCTAssertEqual(try resolveCheckpointPath(both), both + "/best.safetensors")
        let lastOnly = try runFolder(with: ["last.safetensors"])
        XCTAssertEqual(try resolveCheckpointPath(lastOnly), lastOnly + "/last.safetensors")
        XCTAssertEqual(try resolveCheckpointPath(both + "/last.safetensors"), both + "/last.safetensors")
        XCTAssertThrowsError(try resolveCheckpointPath(try runFolder(with: []))) { error in
            XCTAssertTrue("\(error)".contains("holds no best.safetensors or last.safetensors"), "\(error)")
        }
    }

    func testResumingACheckpointContinuesItsFolder() {
        XCTAssertEqual(resumedRunFolder("runs/a/best.safetensors"), "runs/a")
        XCTAssertEqual(resumedRunFolder("best.safetensors"), ".")
        XCTAssertEqual(resumedRunFolder("runs/a"), "runs/a")
    }

    func testAResumeMayChangeOnlyEpochsAndOutputSettings() throws {
        let saved = try TrainingConfig.defaults(overrides: ["epochs=1"])
        let longer = try TrainingConfig.defaults(overrides: ["epochs=3", "log_every=10", "dataset.data_dir=elsewhere"])
        XCTAssertEqual(try resumedConfig(saved: saved, requested: longer, runDirectory: "runs/a"), longer)
        let other = try TrainingConfig.defaults(overrides: ["epochs=3", "dataset=fashion-mnist"])
        XCTAssertThrowsError(try resumedConfig(saved: saved, requested: other, runDirectory: "runs/a")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("a resume continues the same run"), text)
            XCTAssertTrue(text.contains("name: fashion-mnist"), text)
            XCTAssertTrue(text.contains("--init-from runs/a/last.safetensors"), text)
        }
        XCTAssertThrowsError(try resumedConfig(saved: saved, requested: try TrainingConfig.defaults(overrides: ["optimizer.lr=0.5"]),
                                               runDirectory: "runs/a"))
    }

    /// With batch norm, each replica normalises its share on its own statistics, so another count trains
    /// another model; without, the split still fixes the summation order that makes a run repeat to the bit.
    func testAResumeKeepsTheReplicaCount() throws {
        let saved = try TrainingConfig.defaults(overrides: ["model=lenet-bn", "replicas=2"])
        for requested in [["replicas=1"], [], ["replicas=4"]] {
            XCTAssertThrowsError(try resumedConfig(saved: saved, requested: TrainingConfig.defaults(overrides: ["model=lenet-bn"] + requested),
                                                   runDirectory: "runs/a"), "\(requested)") { error in
                XCTAssertTrue("\(error)".contains(requested.isEmpty ? "`replicas: 2` (now not set)" : "(was `replicas: 2`)"), "\(error)")
            }
        }
        let longer = try TrainingConfig.defaults(overrides: ["model=lenet-bn", "replicas=2", "epochs=3"])
        XCTAssertEqual(try resumedConfig(saved: saved, requested: longer, runDirectory: "runs/a"), longer)
    }
}
