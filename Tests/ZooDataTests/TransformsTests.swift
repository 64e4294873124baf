import XCTest
import ZooCore
@testable import ZooData

final class TransformsTests: XCTestCase {
    /// Runs `transforms` over one image, returning the output bytes.
    private func run(_ image: [UInt8], _ shape: ImageShape, _ transforms: [Transform], keys: UInt64 = 1) -> [UInt8] {
        let pipeline = ImagePipeline(input: shape, transforms: transforms)
        var first = [UInt8](repeating: 0, count: pipeline.scratchCount)
        var second = first
        var generator = SeededRandom(keys: keys)
        return image.withUnsafeBufferPointer { source in
            first.withUnsafeMutableBufferPointer { first in
                second.withUnsafeMutableBufferPointer { second in
                    Array(pipeline.apply(source, scratch: (first, second), generator: &generator))
                }
            }
        }
    }

    // 1 channel, 2x3:  1 2 3 / 4 5 6
    private let tiny: [UInt8] = [1, 2, 3, 4, 5, 6]
    private let tinyShape = ImageShape(channels: 1, height: 2, width: 3)

    func testPadCentres() {
        XCTAssertEqual(run(tiny, tinyShape, [.padTo(4)]), [0, 0, 0, 0,
                                                           1, 2, 3, 0,
                                                           4, 5, 6, 0,
                                                           0, 0, 0, 0])
        XCTAssertEqual(ImagePipeline(input: ImageShape(channels: 1, height: 28, width: 28), transforms: [.padTo(32)]).output,
                       ImageShape(channels: 1, height: 32, width: 32))
        XCTAssertEqual(run(tiny, tinyShape, [.padTo(2)]), tiny, "padding to a smaller size changes nothing")
    }

    func testRandomCropTakesEveryWindowOfThePaddedImage() {
        // Padding 1 around 2x3 gives 4x5; a 3x3 crop has 2 row places x 3 column places.
        var seen = Set<[UInt8]>()
        for keys in 0 ..< 400 { seen.insert(run(tiny, tinyShape, [.randomCrop(size: 3, padding: 1)], keys: UInt64(keys))) }
        XCTAssertTrue(seen.contains([0, 0, 0,
                                     0, 1, 2,
                                     0, 4, 5]))
        XCTAssertTrue(seen.contains([2, 3, 0,
                                     5, 6, 0,
                                     0, 0, 0]))
        let unpadded = ImagePipeline(input: tinyShape, transforms: [.randomCrop(size: 3, padding: 1)])
        XCTAssertEqual(unpadded.output, ImageShape(channels: 1, height: 3, width: 3))
        XCTAssertEqual(seen.count, 6)
    }

    func testHorizontalFlipHappensAboutHalfTheTime() {
        var flipped = 0
        for keys in 0 ..< 1000 {
            let output = run(tiny, tinyShape, [.horizontalFlip], keys: UInt64(keys))
            if output == [3, 2, 1, 6, 5, 4] { flipped += 1 } else { XCTAssertEqual(output, tiny) }
        }
        XCTAssertTrue((400 ... 600).contains(flipped), "\(flipped) flips in 1000")
    }

    func testPermutationIsFixedPerSeedAndSharedByChannels() {
        let shape = ImageShape(channels: 2, height: 2, width: 3)
        let image: [UInt8] = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16]
        let once = run(image, shape, [.permutePixels(seed: 7)], keys: 1)
        XCTAssertEqual(run(image, shape, [.permutePixels(seed: 7)], keys: 99), once, "the same for every image")
        XCTAssertNotEqual(run(image, shape, [.permutePixels(seed: 8)], keys: 1), once)
        XCTAssertEqual(Array(once[..<6]).sorted(), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(Array(once[6...]), once[..<6].map { $0 + 10 }, "both channels move the same way")
    }

    func testTransformsCompose() {
        // Pad to 4x4, then flip: the padded image mirrored, or not.
        let output = run(tiny, tinyShape, [.padTo(4), .horizontalFlip, .permutePixels(seed: 1), .randomCrop(size: 4, padding: 0)])
        XCTAssertEqual(output.count, 16)
        XCTAssertEqual(output.sorted(), ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + tiny).sorted())
    }

    func testCodable() throws {
        let transforms: [Transform] = [.padTo(32), .randomCrop(size: 32, padding: 4), .horizontalFlip, .permutePixels(seed: 42)]
        let data = try JSONEncoder().encode(transforms)
        XCTAssertEqual(try JSONDecoder().decode([Transform].self, from: data), transforms)
    }
}
