import XCTest
@testable import ZooData
import ZooFoundation

final class BatchLoaderTests: XCTestCase {
    /// `count` 1x1x2 images whose two bytes spell the image's index, so raw [0, 1] pixels reveal it.
    private func indexedSplit(_ count: Int) throws -> DatasetSplit {
        try DatasetSplit(images: (0 ..< count).flatMap { [UInt8($0 / 256), UInt8($0 % 256)] },
                         labels: (0 ..< count).map { UInt8($0 % 10) }, channels: 1, height: 1, width: 2)
    }

    /// The image indices of one epoch, batch by batch.
    private func epochIndices(_ loader: BatchLoader) -> [[Int]] {
        var batches: [[Int]] = []
        while let batch = loader.nextBatch() {
            batches.append((0 ..< batch.count).map { slot in
                Int((batch.images[2 * slot] * 255).rounded()) * 256 + Int((batch.images[2 * slot + 1] * 255).rounded())
            })
            XCTAssertEqual(batches.last?.map { Int32($0 % 10) }, Array(batch.labels))
        }
        return batches
    }

    func testEveryImageOnceWithPartialLastBatch() throws {
        for prefetch in [false, true] {
            let loader = try BatchLoader(split: try indexedSplit(1000), batchSize: 64, shuffle: true, seed: 5, transforms: [],
                                     normalization: nil, prefetch: prefetch)
            XCTAssertEqual(loader.batchesPerEpoch, 16)
            let batches = epochIndices(loader)
            XCTAssertEqual(batches.map(\.count), [Int](repeating: 64, count: 15) + [40])
            XCTAssertEqual(batches.joined().sorted(), Array(0 ..< 1000))
            XCTAssertNotEqual(Array(batches.joined()), Array(0 ..< 1000), "shuffled")
            XCTAssertNil(loader.nextBatch())
        }
    }

    /// A loader told to wait for `prepareNext()` hands out the same batches, whether or not the caller asks.
    func testPreparingWhenAskedGivesTheSameBatches() throws {
        let expected = epochIndices(try BatchLoader(split: try indexedSplit(300), batchSize: 64, shuffle: true, seed: 5, transforms: [],
                                                    normalization: nil))
        for asks in [false, true] {
            let loader = try BatchLoader(split: try indexedSplit(300), batchSize: 64, shuffle: true, seed: 5, transforms: [], normalization: nil)
            loader.preparesWhenAsked = true
            var batches: [[Int]] = []
            while let batch = loader.nextBatch() {
                if asks { loader.prepareNext() }
                batches.append((0 ..< batch.count).map { Int((batch.images[2 * $0] * 255).rounded()) * 256 + Int((batch.images[2 * $0 + 1] * 255).rounded()) })
            }
            XCTAssertEqual(batches, expected, "asks: \(asks)")
        }
    }

    func testHeldBatchSurvivesARestart() throws {
        let loader = try BatchLoader(split: try indexedSplit(100), batchSize: 10, shuffle: true, seed: 3, transforms: [], normalization: nil)
        let batch = try XCTUnwrap(loader.nextBatch())
        let copy = Array(batch.images)
        loader.start(epoch: 1)
        loader.start(epoch: 2)   // waits for the batch the first restart prepared in the background
        XCTAssertEqual(Array(batch.images), copy)
    }

    func testDropLast() throws {
        let loader = try BatchLoader(split: try indexedSplit(100), batchSize: 32, shuffle: false, seed: 0, transforms: [],
                                 normalization: nil, dropLast: true)
        XCTAssertEqual(loader.batchesPerEpoch, 3)
        XCTAssertEqual(Array(epochIndices(loader).joined()), Array(0 ..< 96))
    }

    func testOrderIsAPureFunctionOfSeedAndEpoch() throws {
        let split = try indexedSplit(500)
        func order(seed: UInt64, epoch: Int, prefetch: Bool) throws -> [[Int]] {
            let loader = try BatchLoader(split: split, batchSize: 50, shuffle: true, seed: seed, transforms: [], normalization: nil,
                                     prefetch: prefetch)
            loader.start(epoch: epoch)
            return epochIndices(loader)
        }
        XCTAssertEqual(try order(seed: 1, epoch: 3, prefetch: true), try order(seed: 1, epoch: 3, prefetch: false))
        XCTAssertNotEqual(try order(seed: 1, epoch: 3, prefetch: true), try order(seed: 1, epoch: 4, prefetch: true))
        XCTAssertNotEqual(try order(seed: 1, epoch: 3, prefetch: true), try order(seed: 2, epoch: 3, prefetch: true))

        // Restarting an epoch midway reproduces it.
        let loader = try BatchLoader(split: split, batchSize: 50, shuffle: true, seed: 1, transforms: [], normalization: nil)
        loader.start(epoch: 3)
        _ = loader.nextBatch()
        loader.start(epoch: 3)
        XCTAssertEqual(epochIndices(loader), try order(seed: 1, epoch: 3, prefetch: true))
    }

    func testNormalisationOfAKnownPixel() throws {
        let split = try DatasetSplit(images: [0, 255, 51, 102], labels: [3], channels: 2, height: 1, width: 2)
        let loader = try BatchLoader(split: split, batchSize: 1, shuffle: false, seed: 0, transforms: [],
                                 normalization: Normalization(mean: [0.5, 0.2], std: [0.25, 0.1]))
        let batch = try XCTUnwrap(loader.nextBatch())
        XCTAssertEqual(batch.images[0], -2, accuracy: 1e-5)
        XCTAssertEqual(batch.images[1], 2, accuracy: 1e-5)
        XCTAssertEqual(batch.images[2], 0, accuracy: 1e-5)
        XCTAssertEqual(batch.images[3], 2, accuracy: 1e-5)
        XCTAssertEqual(Array(batch.labels), [3])

        let mnist = try BatchLoader(split: try DatasetSplit(images: [0, 255, 0, 0], labels: [0], channels: 1, height: 2, width: 2),
                                batchSize: 1, shuffle: false, seed: 0, transforms: [.padTo(4)],
                                normalization: DatasetName.mnist.defaultNormalization)
        XCTAssertEqual(mnist.height, 4)
        let padded = try XCTUnwrap(mnist.nextBatch())
        XCTAssertEqual(padded.images[0], -0.1307 / 0.3081, accuracy: 1e-5, "padding is black before normalisation")
        XCTAssertEqual(padded.images[6], (1 - 0.1307) / 0.3081, accuracy: 1e-5)
    }

    func testAugmentationIsReproducibleAndVariesByEpoch() throws {
        let split = try DatasetSplit(images: (0 ..< 64 * 3 * 8 * 8).map { UInt8(truncatingIfNeeded: $0 &* 7) },
                                     labels: [UInt8](repeating: 0, count: 64), channels: 3, height: 8, width: 8)
        func firstBatch(epoch: Int, prefetch: Bool) throws -> [Float] {
            let loader = try BatchLoader(split: split, batchSize: 16, shuffle: true, seed: 9,
                                     transforms: [.randomCrop(size: 8, padding: 2), .horizontalFlip], normalization: nil,
                                     prefetch: prefetch)
            loader.start(epoch: epoch)
            return Array(try XCTUnwrap(loader.nextBatch()).images)
        }
        XCTAssertEqual(try firstBatch(epoch: 1, prefetch: true), try firstBatch(epoch: 1, prefetch: false))
        XCTAssertNotEqual(try firstBatch(epoch: 1, prefetch: true), try firstBatch(epoch: 2, prefetch: true))
    }

    /// Three workers walk the same shuffle and each takes its slice of every global batch: together they
    /// see exactly the single process's batches, and each image is augmented the same whoever takes it.
    func testWorkerSharesRebuildTheSingleProcessBatches() throws {
        let single = epochIndices(try BatchLoader(split: try indexedSplit(1000), batchSize: 64, shuffle: true, seed: 5, transforms: [],
                                              normalization: nil))
        let shares = try (0 ..< 3).map { worker in
            let loader = try BatchLoader(split: try indexedSplit(1000), batchSize: 64, shuffle: true, seed: 5, transforms: [],
                                     normalization: nil, share: BatchShare(worker: worker, workers: 3))
            XCTAssertEqual(loader.batchesPerEpoch, 16)
            return epochIndices(loader)
        }
        XCTAssertEqual(shares[0].map(\.count), [Int](repeating: 22, count: 15) + [14])
        XCTAssertEqual(shares[2].map(\.count), [Int](repeating: 21, count: 15) + [13])
        XCTAssertEqual((0 ..< 16).map { shares[0][$0] + shares[1][$0] + shares[2][$0] }, single)

        let split = try DatasetSplit(images: (0 ..< 8 * 3 * 8 * 8).map { UInt8(truncatingIfNeeded: $0 &* 7) },
                                     labels: [UInt8](repeating: 0, count: 8), channels: 3, height: 8, width: 8)
        func batch(_ share: BatchShare) throws -> (images: [Float], globalCount: Int) {
            let loader = try BatchLoader(split: split, batchSize: 8, shuffle: true, seed: 9,
                                     transforms: [.randomCrop(size: 8, padding: 2), .horizontalFlip], normalization: nil, share: share)
            let batch = try XCTUnwrap(loader.nextBatch())
            return withExtendedLifetime(loader) { (Array(batch.images), batch.globalCount) }
        }
        let (first, second) = (try batch(BatchShare(worker: 0, workers: 2)), try batch(BatchShare(worker: 1, workers: 2)))
        XCTAssertEqual(first.images + second.images, try batch(.everything).images)
        XCTAssertEqual([first.globalCount, second.globalCount], [8, 8])
    }

    func testEmptySplitAndBadBatchSize() throws {
        let empty = try BatchLoader(split: try indexedSplit(0), batchSize: 8, shuffle: true, seed: 0, transforms: [], normalization: nil)
        XCTAssertEqual(empty.batchesPerEpoch, 0)
        XCTAssertNil(empty.nextBatch())
        let single = try BatchLoader(split: try indexedSplit(3), batchSize: 0, shuffle: false, seed: 0, transforms: [], normalization: nil)
        XCTAssertEqual(single.batchesPerEpoch, 3)
    }

    func testSplitRejectsMismatchedBytes() {
        XCTAssertThrowsError(try DatasetSplit(images: [1, 2, 3], labels: [0], channels: 1, height: 2, width: 2))
    }
}
