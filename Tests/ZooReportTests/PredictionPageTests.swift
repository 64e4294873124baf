import XCTest
import ZooFoundation
import ZooData
@testable import ZooReport

/// `zoo predict --html`'s page and its tiles, from made-up layer outputs.
final class PredictionPageTests: XCTestCase {
    private func count(_ part: String, in html: String) -> Int { html.components(separatedBy: part).count - 1 }

    /// A batch of 2 images' maps: 5 channels of 3x4, values ramping so each channel has its own range.
    private let maps = LayerOutput(name: "conv1", type: "conv2d", shape: [2, 5, 3, 4], values: (0..<120).map { Float($0) })

    private func picture() throws -> [UInt8] { try PNG.encode(planar: [0, 255, 128, 64], channels: 1, height: 2, width: 2) }

    func testChannelsImagesAndMapPixelsAreCappedAndTheCapsSaid() throws {
        var page = PredictionPage(title: "zoo predict: <net>", subtitle: "s")
        (page.channelLimit, page.imageLimit, page.mapPixelLimit) = (3, 3, 2 * 3 * 12)
        for index in 0..<4 {
            try page.add(file: "digit <\(index)>.png", png: try picture(), height: 2, width: 2, note: index == 0 ? "inverted" : nil,
                         predictions: [("7", 0.9), ("1", 0.1)], maps: [(maps, index % 2, "before its relu")])
        }
        XCTAssertFalse(page.takesMoreImages)
        let html = page.html
        XCTAssertEqual(count("<section class=\"image\">", in: html), 3, "imageLimit")
        XCTAssertEqual(count("<figure class=\"map\">", in: html), 2 * 3, "3 channels of the first 2 images: then the budget is spent")
        XCTAssertEqual(count("<div class=\"bar\">", in: html), 6)
        XCTAssertTrue(html.contains("conv2d · 5x3x4, the first 3 of 5 channels, before its relu"))
        XCTAssertTrue(html.contains("The page shows the first 3 of 4 images"))
        XCTAssertTrue(html.contains("Feature maps are shown for the first 2 images only"))
        XCTAssertTrue(html.contains("the first 3 channels of a layer with more"))
        XCTAssertTrue(html.contains("<h2>digit &lt;0&gt;.png</h2>") && html.contains("zoo predict: &lt;net&gt;"))
        XCTAssertTrue(html.contains("<div style=\"width: 90.0%\">"), "the top bar's length is its probability")
        XCTAssertFalse(html.contains("http"))
    }

    func testAModelWithoutMapsSaysSo() throws {
        var page = PredictionPage(title: "mlp", subtitle: "")
        try page.add(file: "a.png", png: try picture(), height: 2, width: 2, note: nil, predictions: [("a", 1)], maps: [])
        XCTAssertTrue(page.html.contains("no convolution or pooling layer"))
        XCTAssertFalse(page.html.contains("Feature maps are shown for the first"))
    }

    /// Each tile is its channel of its image, scaled to its own range: a ramp from black to white.
    func testFeatureMapTilesAreEachChannelScaledToItsOwnRange() throws {
        let tiles = try Tiles.featureMaps(maps.sample(1), channels: 5, height: 3, width: 4, limit: 2)
        XCTAssertEqual(tiles.count, 2)
        let ramp = (0..<12).map { UInt8((Double($0) / 11 * 255).rounded()) }
        for tile in tiles {
            let image = try ImageDecoder.decode(tile, file: "tile")
            XCTAssertEqual([image.channels, image.height, image.width], [1, 3, 4])
            XCTAssertEqual(image.pixels, ramp)
        }
        XCTAssertEqual(Array(maps.sample(1).prefix(2)), [60, 61], "image 1 starts after image 0's 60 values")
        XCTAssertEqual(Tiles.grayLevels([2, 2, 2]), [0, 0, 0], "constant: black")
        XCTAssertEqual(Tiles.grayLevels([-1, .nan, 1, .infinity]), [0, 0, 255, 0], "not finite: black, left out of the range")
    }
}
