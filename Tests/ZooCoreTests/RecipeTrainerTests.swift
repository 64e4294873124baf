import XCTest
@testable import ZooCore

/// The trainer's part of issue 21's recipes: a schedule stepping every batch, counted over the whole run.
final class RecipeTrainerTests: XCTestCase {
    /// Each update uses the rate and beta1 of its step of the run: epoch x batches per epoch + batch.
    func testBatchScheduleFollowsTheRunsStepCount() throws {
        let network = try Network(layers: [.init(type: "linear", arguments: ["out": .init(.int(4))])], inputShape: Shape([4]), seed: 5)
        let adam = try Adam(parameters: network.namedParameters, learningRate: 0.01)
        let trainer = Trainer(network: network, optimizer: adam, loss: .crossEntropy)
        let schedule = LearningRateSchedule(try OneCycleSchedule.read(ArgumentReader([:], owner: "onecycle"), epochs: 3))
        trainer.batchSchedule = (schedule, 0.01)
        let data = ArrayBatchSource.quadrants(count: 100, seed: 1, batchSize: 32)
        var seen: [(rate: Double, beta1: Double)] = []
        for epoch in 0..<3 {
            _ = try trainer.trainEpoch(epoch, data: data) { _ in seen.append((adam.learningRate, adam.beta1)) }
        }
        XCTAssertEqual(seen.count, 12)
        for (step, values) in seen.enumerated() {
            let expected = schedule.position(base: 0.01, step: step, stepsPerEpoch: 4)
            XCTAssertEqual(values.rate, expected.learningRate, accuracy: 1e-15, "step \(step)")
            XCTAssertEqual(values.beta1, expected.momentum ?? .nan, accuracy: 1e-15, "step \(step)")
        }
    }

    /// Three 1x6x8 images of distinct values, mixed: each with the one before it (the first with the last).
    private let original = (0..<144).map { Float($0 * $0) }

    private func mixed(_ mixing: BatchMixing, seed: UInt64) -> (images: [Float], partners: [Int32], weight: Double) {
        var images = original
        var partners = [Int32](repeating: -1, count: 3)
        let labels: [Int32] = [4, 5, 6]
        var random = SeededRandom(seed: seed)
        let weight = images.withUnsafeMutableBufferPointer { images in
            labels.withUnsafeBufferPointer { labels in
                partners.withUnsafeMutableBufferPointer { partners in
                    mixing.mix(images, labels: labels, partners: partners, shape: Shape([1, 6, 8]), random: &random)
                }
            }
        }
        return (images, partners, weight)
    }

    func testMixUpBlendsEachImageWithThePreviousOne() {
        for seed: UInt64 in 0..<20 {
            let (images, partners, weight) = mixed(BatchMixing(mixupAlpha: 0.2, cutmixAlpha: nil), seed: seed)
            XCTAssertEqual(partners, [6, 4, 5])
            XCTAssertTrue((0...1).contains(weight))
            for index in 0..<144 {
                let previous = original[(index + 96) % 144]
                XCTAssertEqual(images[index], Float(weight) * original[index] + Float(1 - weight) * previous, accuracy: 1e-2)
            }
        }
    }

    func testCutMixPastesABoxOfThePreviousImageAndWeighsItsArea() {
        var pasted = 0
        for seed: UInt64 in 0..<50 {
            let (images, partners, weight) = mixed(BatchMixing(mixupAlpha: nil, cutmixAlpha: 1), seed: seed)
            XCTAssertEqual(partners, [6, 4, 5])
            for image in 0..<3 {
                let changed = (0..<48).filter { images[image * 48 + $0] != original[image * 48 + $0] }
                for offset in changed { XCTAssertEqual(images[image * 48 + offset], original[((image + 2) % 3) * 48 + offset]) }
                let rows = Set(changed.map { $0 / 8 }), columns = Set(changed.map { $0 % 8 })
                XCTAssertEqual(changed.count, rows.count * columns.count, "one box")
                XCTAssertEqual(weight, 1 - Double(changed.count) / 48, accuracy: 1e-12, "λ is the share left")
                pasted += changed.count
            }
        }
        XCTAssertGreaterThan(pasted, 0)
    }

    /// λ ~ Beta(α, α): mean 1/2, variance 1 / (4 (2α + 1)); both on, CutMix about `switch_prob` of the time.
    func testMixingWeightIsBetaDistributed() {
        var random = SeededRandom(seed: 3)
        for alpha in [0.2, 1, 4] {
            let draws = (0..<20_000).map { _ in random.beta(alpha) }
            let mean = draws.reduce(0, +) / Double(draws.count)
            let variance = draws.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(draws.count)
            XCTAssertEqual(mean, 0.5, accuracy: 0.01, "alpha \(alpha)")
            XCTAssertEqual(variance, 1 / (4 * (2 * alpha + 1)), accuracy: 0.005, "alpha \(alpha)")
        }
        let both = BatchMixing(mixupAlpha: 1, cutmixAlpha: 1, switchProbability: 0.25)
        // CutMix leaves λ on a grid of 48ths for 6x8 images; MixUp almost never does.
        let cutMixes = (0..<400).filter { seed in
            let weight = mixed(both, seed: UInt64(seed)).weight * 48
            return abs(weight - weight.rounded()) < 1e-9
        }.count
        XCTAssertTrue((60...150).contains(cutMixes), "\(cutMixes) of 400")
    }

    /// TTA's loss and accuracy equal the mean softmax over six views built here by coordinates: the image and
    /// its mirror, each as is, moved one pixel down-right and one up-left (zero where nothing moves in).
    func testTestTimeAugmentationAveragesTheSoftmaxOfSixViews() throws {
        let network = try Network(layers: [.init(type: "conv2d", arguments: ["out": .init(.int(2)), "kernel": .init(.int(3))]),
                                           .init(type: "flatten"), .init(type: "linear", arguments: ["out": .init(.int(3))])],
                                  inputShape: Shape([1, 4, 5]), seed: 2)
        var random = SeededRandom(seed: 8)
        let count = 7
        let images = random.uniform(2, count: count * 20)
        let labels = (0..<count).map { Int32($0 % 3) }
        let data = ArrayBatchSource(images: images, labels: labels, imageSize: 20, batchSize: 4)
        let evaluation = try network.evaluate(data: data, loss: .crossEntropy, testTimeAugmentation: TestTimeAugmentation(views: [.hflip, .translate]))

        func view(_ image: Int, flip: Bool, down: Int) -> [Float] {
            (0..<20).map { index in
                let (row, column) = (index / 5 - down, index % 5 - down)
                guard (0..<4).contains(row), (0..<5).contains(column) else { return 0 }
                return images[image * 20 + row * 5 + (flip ? 4 - column : column)]
            }
        }
        let plan = try network.plan(batchSize: 1, training: false)
        var (lossSum, correct) = (0.0, 0)
        for image in 0..<count {
            var mean = [Double](repeating: 0, count: 3)
            for flip in [false, true] {
                for down in [0, 1, -1] {
                    plan.setInput(view(image, flip: flip, down: down))
                    try plan.forward()
                    let logits = plan.outputValues.map(Double.init)
                    let exponentials = logits.map { exp($0 - logits.max()!) }
                    for index in 0..<3 { mean[index] += exponentials[index] / exponentials.reduce(0, +) / 6 }
                }
            }
            lossSum -= log(mean[Int(labels[image])])
            if mean.indices.max(by: { mean[$0] < mean[$1] }) == Int(labels[image]) { correct += 1 }
        }
        XCTAssertEqual(evaluation.loss, lossSum / Double(count), accuracy: 1e-5)
        XCTAssertEqual(evaluation.correct, correct)
        XCTAssertEqual(TestTimeAugmentation(views: [.translate]).viewCount, 3)
    }
}
