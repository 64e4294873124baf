import ZooFoundation

extension DatasetSplit {
    /// `count` images drawn the same number from each class (round robin over the labels, so classes differ by at
    /// most one image unless one runs out), each class's picks shuffled by `seed`; kept in the split's order.
    /// The whole split when it has no more than `count` images. For `dataset: {train_limit: N}`.
    public func balancedSubset(count limit: Int, seed: UInt64) -> DatasetSplit {
        guard limit < count else { return self }
        var byClass: [Int: [Int]] = [:]
        for (index, label) in labels.enumerated() { byClass[Int(label), default: []].append(index) }
        let queues = byClass.keys.sorted().map { label -> [Int] in
            var random = SeededRandom(keys: seed, 0x7121_0415, UInt64(label))
            let members = byClass[label]!
            return random.permutation(of: members.count).map { members[Int($0)] }
        }
        var chosen: [Int] = []
        var round = 0
        while chosen.count < limit {
            for queue in queues where round < queue.count && chosen.count < limit { chosen.append(queue[round]) }
            round += 1
        }
        chosen.sort()
        let imageBytes = channels * height * width
        var images: [UInt8] = []
        images.reserveCapacity(limit * imageBytes)
        for index in chosen { images += self.images[index * imageBytes ..< (index + 1) * imageBytes] }
        return DatasetSplit(matching: images, labels: chosen.map { labels[$0] }, channels: channels, height: height, width: width)
    }
}
