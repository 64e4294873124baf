import Foundation

/// `zoo predict --html`: one self-contained page (PNG data URIs, inline CSS, no script, no network fetches) with each
/// image as the model saw it, its most likely classes as bars, and the feature maps of its convolution and pooling
/// layers; the first convolution's filters once.
public struct PredictionPage {
    /// One layer's feature maps for one image: a tile per channel shown.
    public struct Layer {
        public let name: String
        public let type: String
        /// Channels x height x width of the layer's output.
        public let shape: [Int]
        /// What the maps are, when it needs saying ("before its ReLU").
        public let note: String?
        /// PNGs of the first channels (see `PredictionPage.channelLimit`).
        public let tiles: [[UInt8]]

        public init(name: String, type: String, shape: [Int], note: String?, tiles: [[UInt8]]) {
            (self.name, self.type, self.shape, self.note, self.tiles) = (name, type, shape, note, tiles)
        }
    }

    public struct Image {
        public let file: String
        /// The network's input for it, as 8-bit pixels (before normalisation).
        public let png: [UInt8]
        public let height: Int
        public let width: Int
        /// What preprocessing did besides resizing, when it says something ("inverted: ...").
        public let note: String?
        public let predictions: [(label: String, probability: Double)]
        /// Empty when the page's budget for maps was spent on the images before it.
        public let layers: [Layer]

        public init(file: String, png: [UInt8], height: Int, width: Int, note: String?, predictions: [(label: String, probability: Double)],
                    layers: [Layer]) {
            (self.file, self.png, self.height, self.width, self.note) = (file, png, height, width, note)
            (self.predictions, self.layers) = (predictions, layers)
        }
    }

    /// Channels shown per layer and image.
    public static let channelLimit = 32
    /// Feature-map pixels on one page (about 4 MB of PNGs at most); later images are shown without maps.
    public static let mapPixelLimit = 3_000_000
    /// Images on one page; the text output has them all.
    public static let imageLimit = 100

    public var title: String
    public var subtitle: String
    public var images: [Image]
    /// Images predicted in all, of which the first `imageLimit` are on the page.
    public var imageCount: Int
    public var filters: (layer: String, images: [[UInt8]])?

    public init(title: String, subtitle: String, images: [Image], imageCount: Int, filters: (layer: String, images: [[UInt8]])?) {
        (self.title, self.subtitle, self.images, self.imageCount, self.filters) = (title, subtitle, images, imageCount, filters)
    }

    public var html: String {
        var notes = ["Feature maps: one tile per channel, each scaled to its own range (black lowest, white highest); "
                     + "the first \(Self.channelLimit) channels of a layer with more. A convolution's maps are its output before the ReLU "
                     + "that follows it, as a PyTorch forward hook on that nn.Conv2d sees them; a pooling layer's are after it."]
        if imageCount > images.count { notes.append("The page shows the first \(images.count) of \(imageCount) images; `zoo predict` prints them all.") }
        if let first = images.firstIndex(where: \.layers.isEmpty), images.contains(where: { !$0.layers.isEmpty }) {
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
