extension Network {
    /// Forward hooks: runs `count` images (NCHW float32, normalised as the network's input) through an inference plan
    /// and returns the network's outputs (`[count, outputs]` row-major) and the outputs of the layers named, in network
    /// order. A conv's output is before the ReLU after it, as `nn.Conv2d`'s is (see `plan(capturing:)`).
    public func forward(images: UnsafeBufferPointer<Float>, count: Int, capturing layerNames: [String]) throws
        -> (outputs: [Float], layers: [LayerOutput]) {
        let plan = try plan(batchSize: count, training: false, capturing: layerNames)
        try plan.load(images: images)
        try plan.forward()
        let kinds = Dictionary(entries.map { ($0.name, $0.description.type) }, uniquingKeysWith: { first, _ in first })
        let layers = try plan.capturedLayerNames.map { name in
            try plan.withCapturedOutput(of: name) { shape, values in
                LayerOutput(name: name, type: kinds[name] ?? "", shape: shape, values: Array(values))
            }
        }
        return (plan.withOutput { Array($0) }, layers)
    }

    /// The first convolution's name and weight (`[out, in, height, width]`, row-major), for pictures of its filters.
    public func firstConvolutionWeight() throws -> (layer: String, shape: [Int], values: [Float])? {
        guard let entry = entries.first(where: { $0.layer is Conv2d }),
              let weight = entry.parameters.first(where: { $0.name == "weight" }), weight.shape.count == 4 else { return nil }
        return (entry.name, weight.shape, try weight.read())
    }
}
