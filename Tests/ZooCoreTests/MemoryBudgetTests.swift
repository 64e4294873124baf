import Foundation
import XCTest
@testable import ZooCore

/// Sizes that overflow or do not fit are refused before anything is allocated.
final class MemoryBudgetTests: XCTestCase {
    override func tearDown() { MemoryBudget.resetLimit() }

    private let lenetLike: [LayerDescription] = [
        .init(type: "conv2d", arguments: ["out": .init(.int(6)), "kernel": .init(.int(5))]), .init(type: "relu"),
        .init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(10))]),
    ]

    func testSizesParseWithUnitsAndPercent() throws {
        XCTAssertEqual(try MemoryBudget.parse("4GB"), 4_000_000_000)
        XCTAssertEqual(try MemoryBudget.parse("512MB"), 512_000_000)
        XCTAssertEqual(try MemoryBudget.parse("2g"), 2_000_000_000)
        XCTAssertEqual(try MemoryBudget.parse("50%"), MemoryBudget.physicalMemory / 2, accuracy: 100)
        for bad in ["", "abc", "-1GB", "0", "10KB", "1e30GB", "nan"] {
            XCTAssertThrowsError(try MemoryBudget.parse(bad), bad)
        }
    }

    func testSaturatingArithmeticNeverTraps() {
        XCTAssertEqual(Shape([1 << 40, 1 << 40]).elementCount, Int.max)
        XCTAssertEqual(saturatingProduct([3, 4, 5]), 60)
        XCTAssertEqual(saturatingSum(Int.max, 1), Int.max)
    }

    func testEstimateCountsParametersActivationsAndLoader() throws {
        let network = try Network(layers: lenetLike, inputShape: Shape([1, 28, 28]))
        let estimate = MemoryEstimate(network: network)
        let parameters = 6 * 25 + 6 + 6 * 24 * 24 * 10 + 10
        XCTAssertEqual(estimate.parameterBytes, parameters * 8)
        XCTAssertEqual(estimate.parameterAndOptimizerBytes, parameters * 16)
        // Channels padded to 16: input 16x28x28, conv and relu 16x24x24, flatten 3456 -> 3456 (x16 padding of a flat shape), linear 16.
        XCTAssertEqual(estimate.loaderBytesPerImage, 28 * 28 * 8)
        XCTAssertGreaterThan(estimate.trainingPlanBytesPerImage, estimate.inferencePlanBytesPerImage)
        XCTAssertEqual(estimate.bytes(batchSize: Int.max / 2, training: true), Int.max)
    }

    func testAHugeBatchIsRefusedWithWhatItNeedsAndWhatToChange() throws {
        let network = try Network(layers: lenetLike, inputShape: Shape([1, 28, 28]))
        for batch in [100_000_000, 4_611_686_018_427_387_904] {
            XCTAssertThrowsError(try MemoryBudget.check(network, batchSize: batch, training: true, what: "training lenet")) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains("training lenet at batch size"), text)
                XCTAssertTrue(text.contains("use a batch size of at most"), text)
                XCTAssertTrue(text.contains("--max-memory"), text)
            }
            XCTAssertThrowsError(try network.plan(batchSize: batch, training: true))
        }
        XCTAssertNoThrow(try MemoryBudget.check(network, batchSize: 64, training: true, what: "training lenet"))
    }

    func testLayersThatFitAloneButNotTogetherAreRefusedBeforeTheirWeightsExist() throws {
        MemoryBudget.setLimit(100_000_000, origin: "a test")
        let wide: [LayerDescription] = [.init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(100_000))]),
                                        .init(type: "linear", arguments: ["out": .init(.int(100_000))])]
        XCTAssertThrowsError(try Network(layers: wide, inputShape: Shape([1, 28, 28]))) { error in
            XCTAssertTrue("\(error)".contains("more than the memory budget"), "\(error)")
        }
        let hugeKernel: [LayerDescription] = [.init(type: "conv2d", arguments: ["out": .init(.int(4)), "kernel": .init(.int(100_000)),
                                                                               "padding": .init(.int(100_000))])]
        XCTAssertThrowsError(try Network(layers: hugeKernel, inputShape: Shape([1, 28, 28])))
        XCTAssertEqual(MemoryBudget.reservedBytes, 0, "nothing stays allocated after a refused network")
    }

    /// Shape inference has no device and its parameter specs no values: 10 billion weights are counted, not made.
    func testShapesOfAHugeNetworkAllocateNothing() throws {
        let huge: [LayerDescription] = [.init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(100_000))]),
                                        .init(type: "linear", arguments: ["out": .init(.int(100_000))])]
        let before = MemoryBudget.reservedBytes
        let shapes = try NetworkShapes(layers: huge, inputShape: Shape([1, 2, 2]))
        let values = 4 * 100_000 + 100_000 + 100_000 * 100_000 + 100_000
        XCTAssertEqual(shapes.parameterCount, values)
        XCTAssertEqual(shapes.namedParameters.map(\.name), ["1.weight", "1.bias", "2.weight", "2.bias"])
        XCTAssertEqual(MemoryEstimate(shapes: shapes).parameterBytes, values * 8)
        XCTAssertEqual(MemoryBudget.reservedBytes, before)
        // Allocating them is what the budget refuses, before any value is drawn.
        MemoryBudget.setLimit(1_000_000_000, origin: "a test")
        XCTAssertThrowsError(try Network(shapes: shapes)) { error in
            XCTAssertTrue("\(error)".contains("layer 2 (linear) its weight of shape 100000x100000 has 10,000,000,000 values"), "\(error)")
        }
        XCTAssertEqual(MemoryBudget.reservedBytes, before)
    }

    func testEveryAllocationIsChargedAndReleased() throws {
        let before = MemoryBudget.reservedBytes
        do {
            let network = try Network(layers: lenetLike, inputShape: Shape([1, 28, 28]))
            _ = try network.plan(batchSize: 8, training: true)
            XCTAssertGreaterThan(MemoryBudget.reservedBytes, before)
            MemoryBudget.setLimit(MemoryBudget.reservedBytes + 1000, origin: "a test")
            XCTAssertThrowsError(try network.plan(batchSize: 64, training: false)) { error in
                XCTAssertTrue("\(error)".contains("memory budget"), "\(error)")
            }
        }
        XCTAssertEqual(MemoryBudget.reservedBytes, before)
    }

    func testNonFiniteParametersAreFoundByName() throws {
        let network = try Network(layers: lenetLike, inputShape: Shape([1, 28, 28]))
        XCTAssertNil(network.firstNonFiniteParameter())
        let weight = try XCTUnwrap(network.parameter(named: "3.weight"))
        var values = try weight.read()
        values[values.count - 1] = .nan
        try weight.write(values)
        XCTAssertEqual(network.firstNonFiniteParameter(), "3.weight")
        values[values.count - 1] = -.infinity
        try weight.write(values)
        XCTAssertEqual(network.firstNonFiniteParameter(), "3.weight")
    }
}
