import ZooFoundation

extension DatasetSplit {
    /// `count` images drawn the same number from each class (round robin over the labels, so classes differ by at
    /// most one image unless one runs out), each class's picks shuffled by `seed`; kept in the split's order.
    /// The whole split when it has no more than `count` images. For `dataset: {train_limit: N}`.
    public func balancedSubset(count limit: Int, seed: UInt64) -> DatasetSplit {
        guard limit < count else { return self }
        return balancedPartition(count: limit, seed: seed, stream: 0x7121_0415).chosen
    }

    /// `count` images chosen as `balancedSubset` chooses them, from the random stream `stream` of `seed`, and the
    /// images left over; both in the split's order. For `validation_split` (chosen: held out; rest: trained on).
    public func balancedPartition(count limit: Int, seed: UInt64, stream: UInt64) -> (chosen: DatasetSplit, rest: DatasetSplit) {
        var byClass: [Int: [Int]] = [:]
        for (index, label) in labels.enumerated() { byClass[Int(label), default: []].append(index) }
        let queues = byClass.sorted { $0.key < $1.key }.map { label, members -> [Int] in
            var random = SeededRandom(keys: seed, stream, UInt64(label))
            return random.permutation(of: members.count).map { members[Int($0)] }
        }
        var isChosen = [Bool](repeating: false, count: count)
        var (chosen, round) = (0, 0)
        while chosen < min(limit, count) {
            for queue in queues where round < queue.count && chosen < limit {
                isChosen[queue[round]] = true
                chosen += 1
            }
            round += 1
        }
        func split(_ indices: [Int]) -> DatasetSplit {
            let imageBytes = channels * height * width
            var images: [UInt8] = []
            images.reserveCapacity(indices.count * imageBytes)
            for index in indices { images += self.images[index * imageBytes ..< (index + 1) * imageBytes] }
            return DatasetSplit(matching: images, labels: indices.map { labels[$0] }, channels: channels, height: height, width: width)
        }
        return (split(isChosen.indices.filter { isChosen[$0] }), split(isChosen.indices.filter { !isChosen[$0] }))
    }
}
