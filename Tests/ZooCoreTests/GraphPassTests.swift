import XCTest
@testable import ZooCore

/// The graph passes on small graphs: the fused nodes the fusion rules make, and the layout rules each node gets.
final class GraphPassTests: XCTestCase {
    private func conv(_ out: Int, name: String? = nil) -> LayerDescription {
        .init(type: "conv2d", name: name, arguments: ["out": .init(.int(out)), "kernel": .init(.int(3)), "padding": .init(.int(1))])
    }
    private let relu = LayerDescription(type: "relu")
    private let pool = LayerDescription(type: "maxpool2d", arguments: ["kernel": .init(.int(2))])

    private func graph(_ layers: [LayerDescription], input: Shape = Shape([1, 8, 8]), int8: Bool = false, captured: Set<Int> = []) throws -> Graph {
        Graph(try Network(layers: layers, inputShape: input).entries, int8: int8, unfused: captured)
    }

    func testConvReLUPoolFusesTheReLUAndMovesItAfterThePooling() throws {
        let nodes = try graph([conv(6), relu, pool]).nodes
        XCTAssertEqual(nodes, [FusedNode(layers: [0, 1]), FusedNode(layers: [2], epilogue: .relu)])
    }

    func testLinearReLUFusesAndAReLUAfterPoolingStaysItself() throws {
        let layers: [LayerDescription] = [pool, relu, .init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(4))]), relu]
        XCTAssertEqual(try graph(layers).nodes, [FusedNode(layers: [0]), FusedNode(layers: [1]), FusedNode(layers: [2]),
                                                 FusedNode(layers: [3, 4], epilogue: .relu)])
    }

    func testResidualAddOfTwoInputsFusesItsReLU() throws {
        let block: [LayerDescription] = [conv(4, name: "a"), conv(4), .init(type: "add", inputs: [.init(.name("a")), .init(.offset(-1))]), relu]
        XCTAssertEqual(try graph(block).nodes, [FusedNode(layers: [0]), FusedNode(layers: [1]), FusedNode(layers: [2, 3], epilogue: .relu)])
        // oneDNN's sum of three takes no post-op.
        let three: [LayerDescription] = [conv(4, name: "a"), conv(4, name: "b"), conv(4),
                                         .init(type: "add", inputs: [.init(.name("a")), .init(.name("b")), .init(.offset(-1))]), relu]
        XCTAssertEqual(try graph(three).nodes.suffix(2), [FusedNode(layers: [3]), FusedNode(layers: [4])])
    }

    func testReLUWhoseInputHasTwoReadersStaysUnfused() throws {
        let layers: [LayerDescription] = [conv(4, name: "a"), relu, .init(type: "add", inputs: [.init(.name("a")), .init(.offset(-1))])]
        XCTAssertEqual(try graph(layers).nodes, [FusedNode(layers: [0]), FusedNode(layers: [1]), FusedNode(layers: [2])])
    }

    func testCapturedLayersKeepTheirOwnOutput() throws {
        XCTAssertEqual(try graph([conv(6), relu, pool], captured: [0]).nodes, [FusedNode(layers: [0]), FusedNode(layers: [1]), FusedNode(layers: [2])])
        // A captured pooling sees relu(max(x)) = max(relu(x)) either way.
        XCTAssertEqual(try graph([conv(6), relu, pool], captured: [2]).nodes, [FusedNode(layers: [0, 1]), FusedNode(layers: [2], epilogue: .relu)])
    }

    func testInt8FoldsTheBatchNormAndKeepsTheReLUBeforeThePooling() throws {
        let layers = [conv(6), .init(type: "batchnorm"), relu, pool]
        XCTAssertEqual(try graph(layers, int8: true).nodes, [FusedNode(layers: [0, 1, 2], epilogue: .relu), FusedNode(layers: [3])])
        // Float plans keep the batch norm (it trains): its ReLU fuses into it, then moves after the pooling.
        XCTAssertEqual(try graph(layers).nodes, [FusedNode(layers: [0]), FusedNode(layers: [1, 2]), FusedNode(layers: [3], epilogue: .relu)])
    }

    func testBatchNormReLUFusesAndStaysBeforeAnythingButMaxPooling() throws {
        let batchNorm = LayerDescription(type: "batchnorm")
        XCTAssertEqual(try graph([conv(6), batchNorm, relu, conv(4)]).nodes,
                       [FusedNode(layers: [0]), FusedNode(layers: [1, 2], epilogue: .relu), FusedNode(layers: [3])])
        XCTAssertEqual(try graph([conv(6), batchNorm, relu], captured: [2]).nodes, [FusedNode(layers: [0]), FusedNode(layers: [1]), FusedNode(layers: [2])])
    }

    func testLayoutRulesFollowChannelCounts() throws {
        let layers: [LayerDescription] = [conv(8), relu, conv(9), .init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(4))])]
        let rules = try graph(layers).layoutRules
        XCTAssertEqual(rules[0], [.neighboursFirst, .eightChannelBlocks, .oneChannelChannelsLast], "8 outputs from a 1-channel image")
        XCTAssertEqual(rules[1], [], "fused into the conv")
        XCTAssertEqual(rules[2], [.neighboursFirst], "9 outputs from 8 channels")
        XCTAssertEqual(rules[3], [])
        XCTAssertEqual(rules[4], [.neighboursFirst, .forwardWeightsForBackwardData])
    }
}
