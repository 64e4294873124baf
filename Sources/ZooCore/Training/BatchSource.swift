import ZooFoundation

extension Plan {
    /// Copies a batch's images into the plan's input.
    package func load(_ batch: LabeledBatch) throws { try batch.images.withUnsafeBufferPointer { try load(images: $0) } }

    /// Copies `batchSize` images (NCHW floats) into the plan's input.
    package func load(images: UnsafeBufferPointer<Float>) throws {
        try withInput { input in
            guard images.count == input.count, let source = images.baseAddress, let destination = input.baseAddress else {
                throw ZooError("a batch of \(images.count) values does not fit the network input (\(input.count) values for \(batchSize) images)",
                               hint: "the dataset's image shape must match the one the model was built for")
            }
            destination.update(from: source, count: input.count)
        }
    }
}
