import Foundation
import ZooFoundation

/// `zoo predict --html`: one self-contained page (PNG data URIs, inline CSS, no script, no network fetches) with each
/// image as the model saw it, its most likely classes as bars, and the feature maps of its convolution and pooling
/// layers; the first convolution's filters once.
public struct PredictionPage {
    /// One layer's feature maps for one image: a tile per channel shown.
    struct Layer {
        let name: String
        let type: String
        /// Channels x height x width of the layer's output.
        let shape: [Int]
        let note: String?
        /// PNGs of the first channels (see `channelLimit`).
        let tiles: [[UInt8]]
    }

    struct Image {
        let file: String
        let png: [UInt8]
        let height: Int
        let width: Int
        let note: String?
        let predictions: [(label: String, probability: Double)]
        /// Empty when the page's budget for maps was spent on the images before it.
        let layers: [Layer]
    }

    /// Channels shown per layer and image.
    public var channelLimit = 32
    /// Feature-map pixels on one page, about 4 MB of page (ResNet-20 on MNIST: 6.2 MB for 3 million); later images
    /// are shown without maps.
    public var mapPixelLimit = 2_000_000
    /// Images on one page; the text output has them all.
    public var imageLimit = 100

    public var title: String
    public var subtitle: String
    public var filters: (layer: String, images: [[UInt8]])?
    private(set) var images: [Image] = []
    /// Images offered in all (`add`), of which the first `imageLimit` are on the page.
    private var imageCount = 0
    private var mapPixels = 0

    public init(title: String, subtitle: String) {
        (self.title, self.subtitle) = (title, subtitle)
    }

    /// Whether the next image offered will be on the page (so its picture and maps are worth making).
    public var takesMoreImages: Bool { images.count < imageLimit }

    /// An image: `png`, the network's input for it as 8-bit pixels; `note`, what preprocessing did besides resizing
    /// ("inverted: ..."); its most likely classes; `maps`, its convolution and pooling layers' outputs (the batch's, with
    /// its place in them, and what the maps are when it needs saying: "before its relu"). Past `imageLimit` images only
    /// counted; maps are added for whole images while the page's budget of map pixels lasts.
    public mutating func add(file: String, png: [UInt8], height: Int, width: Int, note: String?, predictions: [(label: String, probability: Double)],
                             maps: [(output: LayerOutput, sample: Int, note: String?)]) throws {
        imageCount += 1
        guard takesMoreImages else { return }
        var layers: [Layer] = []
        if mapPixels < mapPixelLimit {
            for (output, sample, note) in maps where output.shape.count == 4 {
                let (channels, mapHeight, mapWidth) = (output.shape[1], output.shape[2], output.shape[3])
                let tiles = try Tiles.featureMaps(output.sample(sample), channels: channels, height: mapHeight, width: mapWidth, limit: channelLimit)
                mapPixels = saturatingSum(mapPixels, saturatingProduct([tiles.count, mapHeight, mapWidth]))
                layers.append(Layer(name: output.name, type: output.type, shape: [channels, mapHeight, mapWidth], note: note, tiles: tiles))
            }
        }
        images.append(Image(file: file, png: png, height: height, width: width, note: note, predictions: predictions, layers: layers))
    }

    public var html: String {
        let mapped = images.contains { !$0.layers.isEmpty }
        var notes = [mapped
            ? "Feature maps: one tile per channel, each scaled to its own range (black lowest, white highest); the first "
                + "\(channelLimit) channels of a layer with more. A convolution's maps are its own output, before the ReLU after it "
                + "(as a PyTorch forward hook on that nn.Conv2d sees them); a pooling layer's are after it."
            : "The model has no convolution or pooling layer with maps larger than one pixel: there are no feature maps to show."]
        if imageCount > images.count { notes.append("The page shows the first \(images.count) of \(imageCount) images; `zoo predict` prints them all.") }
        if mapped, let first = images.firstIndex(where: \.layers.isEmpty) {
            notes.append("Feature maps are shown for the first \(first) images only, to keep the page small.")
        }
        var body = ["<h1>\(escapeHTML(title))</h1>", "<p class=\"subtitle\">\(escapeHTML(subtitle))</p>"]
        body += notes.map { "<p class=\"note\">\(escapeHTML($0))</p>" }
        if let filters { body.append(filtersSection(filters)) }
        body += images.map(section)
        return page(title: title, body: body, style: """
            .prediction { display: flex; flex-wrap: wrap; gap: 24px; align-items: center; }
            .seen img { width: 140px; height: auto; }
            .bars { border-collapse: collapse; } .bars td { border: none; padding: 2px 8px 2px 0; }
            .bar { background: #eee; width: 260px; height: 14px; } .bar div { background: #2e86c1; height: 14px; }
            .bars tr:first-child .bar div { background: #1e8449; }
            h3 { font-size: 14px; margin: 12px 0 4px; font-weight: 600; } h3 span { font-weight: normal; color: #555; }
            .map img { width: auto; }
            """)
    }

    private func section(_ image: Image) -> String {
        let rows = image.predictions.map { prediction in
            "<tr><td>\(escapeHTML(prediction.label))</td><td><div class=\"bar\"><div style=\"width: \(String(format: "%.1f", prediction.probability * 100))%\"></div></div></td>"
                + "<td class=\"number\">\(String(format: "%.1f%%", prediction.probability * 100))</td></tr>"
        }
        let note = image.note.map { "<br>\(escapeHTML($0))" } ?? ""
        var parts = ["<section class=\"image\"><h2>\(escapeHTML(image.file))</h2><div class=\"prediction\">",
                     "<figure class=\"seen\"><img src=\"\(PNG.dataURI(image.png))\" alt=\"the model's input\">"
                        + "<figcaption>as the model saw it, \(image.height)x\(image.width)\(note)</figcaption></figure>",
                     "<table class=\"bars\">\(rows.joined())</table></div>"]
        for layer in image.layers {
            let shape = layer.shape.map(String.init).joined(separator: "x")
            let shown = layer.tiles.count < (layer.shape.first ?? 0) ? ", the first \(layer.tiles.count) of \(layer.shape.first ?? 0) channels" : ""
            let note = layer.note.map { ", \(escapeHTML($0))" } ?? ""
            // Small maps are enlarged to about 48 pixels, large ones shown at most 96 wide.
            let side = max(layer.shape.count == 3 ? layer.shape[2] : 1, 1)
            let displayed = min(max(side * ((48 + side - 1) / side), side), 96)
            let tiles = layer.tiles.enumerated().map { channel, png in
                "<figure class=\"map\"><img src=\"\(PNG.dataURI(png))\" alt=\"\(escapeHTML(layer.name)) channel \(channel)\" style=\"width: \(displayed)px\">"
                    + "<figcaption>\(channel)</figcaption></figure>"
            }
            parts.append("<h3><code>\(escapeHTML(layer.name))</code> <span>\(escapeHTML(layer.type)) · \(shape)\(shown)\(note)</span></h3>"
                         + "<div class=\"grid\">\(tiles.joined())</div>")
        }
        parts.append("</section>")
        return parts.joined(separator: "\n")
    }
}
