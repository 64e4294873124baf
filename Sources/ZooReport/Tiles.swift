import ZooFoundation

/// Small grayscale pictures of tensors for the pages: filters and feature maps.
public enum Tiles {
    /// Values as gray levels scaled to their own range: the lowest black, the highest white; all black when
    /// constant, and black where a value is not finite.
    static func grayLevels(_ values: some Collection<Float>) -> [UInt8] {
        let finite = values.filter(\.isFinite)
        let low = finite.min() ?? 0, high = finite.max() ?? 0
        let range = high - low > 0 ? high - low : 1
        return values.map { $0.isFinite ? UInt8(((($0 - low) / range) * 255).rounded()) : 0 }
    }

    /// Each output channel of the first conv2d as a small PNG scaled to its own range (RGB when it reads 3 channels,
    /// else the mean over its input channels).
    public static func firstConvolutionFilters(_ weight: (layer: String, shape: [Int], values: [Float])?) throws -> (layer: String, images: [[UInt8]])? {
        guard let weight, weight.shape.count == 4 else { return nil }
        let (layer, shape, values) = weight
        let (outputs, inputs, height, width) = (shape[0], shape[1], shape[2], shape[3])
        let plane = height * width
        let images = try (0..<outputs).map { output -> [UInt8] in
            let filter = Array(values[(output * inputs * plane)..<((output + 1) * inputs * plane)])
            let channels = inputs == 3 ? 3 : 1
            let planes: [Float] = channels == 3 ? filter : (0..<plane).map { pixel in
                (0..<inputs).reduce(0) { $0 + filter[$1 * plane + pixel] } / Float(inputs)
            }
            return try PNG.encode(planar: grayLevels(planes), channels: channels, height: height, width: width)
        }
        return (layer, images)
    }

    /// One PNG per channel of one image's feature maps (channels x height x width values), the first `limit` channels,
    /// each scaled to its own range.
    public static func featureMaps(_ values: ArraySlice<Float>, channels: Int, height: Int, width: Int, limit: Int) throws -> [[UInt8]] {
        let plane = height * width
        return try (0..<min(channels, limit)).map { channel in
            let start = values.startIndex + channel * plane
            return try PNG.encode(planar: grayLevels(values[start..<(start + plane)]), channels: 1, height: height, width: width)
        }
    }
}

/// The filters section both pages show: one tile per output channel of the first convolution.
func filtersSection(_ filters: (layer: String, images: [[UInt8]])) -> String {
    let images = filters.images.enumerated().map { index, png in
        "<figure class=\"filter\"><img src=\"\(PNG.dataURI(png))\" alt=\"filter \(index)\"><figcaption>\(index)</figcaption></figure>"
    }
    return "<section><h2>First convolution's filters (<code>\(escapeHTML(filters.layer))</code>)</h2>"
        + "<p class=\"note\">Each filter scaled to its own range: black lowest, white highest"
        + " (the mean over input channels unless the input is RGB).</p><div class=\"grid\">\(images.joined())</div></section>"
}
