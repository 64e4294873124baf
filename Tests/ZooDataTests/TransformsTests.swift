import XCTest
import ZooFoundation
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

    func testTranslateShiftsByUpToNPixelsWithZeroFill() {
        var seen = Set<[UInt8]>()
        for keys in 0 ..< 400 { seen.insert(run(tiny, tinyShape, [.translate(1)], keys: UInt64(keys))) }
        XCTAssertEqual(seen.count, 9, "three row shifts x three column shifts")
        XCTAssertTrue(seen.contains(tiny))
        XCTAssertTrue(seen.contains([0, 0, 0,
                                     0, 1, 2]), "down and right by one")
        XCTAssertTrue(seen.contains([5, 6, 0,
                                     0, 0, 0]), "up and left by one")
    }

    /// One 20x20 channel of 200s through random erasing: where the zeros (or `fill`s) are, as a rectangle.
    private func erased(_ transform: Transform, keys: Int) -> (height: Int, width: Int, count: Int)? {
        let shape = ImageShape(channels: 2, height: 20, width: 20)
        let output = run([UInt8](repeating: 200, count: shape.byteCount), shape, [transform], keys: UInt64(keys))
        let changed = output.indices.filter { output[$0] != 200 && $0 < 400 }
        guard let first = changed.first, let last = changed.last else { return nil }
        XCTAssertEqual(Array(output[400...]), Array(output[..<400]), "every channel erased alike")
        let (height, width) = (last / 20 - first / 20 + 1, last % 20 - first % 20 + 1)
        return (height, width, changed.count)
    }

    func testRandomErasingFillsOneRectangleAsTorchvision() {
        var (erasures, tall, wide) = (0, 0, 0)
        for keys in 0 ..< 1000 {
            guard let box = erased(.randomErasing(p: 0.5, scale: [0.1, 0.1]), keys: keys) else { continue }
            erasures += 1
            XCTAssertEqual(box.count, box.height * box.width, "one solid rectangle")
            XCTAssertTrue(box.height < 20 && box.width < 20)
            XCTAssertTrue((30 ... 50).contains(box.count), "about 10% of 400 pixels, not \(box.count)")
            if box.height > box.width { tall += 1 }
            if box.width > box.height { wide += 1 }
        }
        XCTAssertTrue((400 ... 600).contains(erasures), "\(erasures) erasures in 1000 at p 0.5")
        // A log-uniform ratio in [0.3, 3.3] is tall as often as wide; a uniform one would be tall about 3 times in 4.
        XCTAssertLessThan(abs(tall - wide), erasures / 5, "\(tall) tall, \(wide) wide")
        let shape = ImageShape(channels: 1, height: 2, width: 2)
        XCTAssertEqual(run([9, 9, 9, 9], shape, [.randomErasing(p: 1, scale: [0.25, 0.25], ratio: [1, 1], value: 0.5)], keys: 3).filter { $0 == 128 }.count, 1,
                       "value 0.5 is pixel 128")
    }

    func testRandomErasingGivesUpAfterTenTriesThatDoNotFit() {
        // The whole area fits only as the whole image, which torchvision never erases.
        for keys in 0 ..< 200 { XCTAssertNil(erased(.randomErasing(p: 1, scale: [1, 1]), keys: keys)) }
        XCTAssertNotNil(erased(.randomErasing(p: 1, scale: [0.5, 0.5], ratio: [1, 1]), keys: 0))
    }

    func testCodable() throws {
        let transforms: [Transform] = [.padTo(32), .randomCrop(size: 32, padding: 4), .horizontalFlip, .permutePixels(seed: 42),
                                       .translate(2), .randomErasing(p: 0.25, value: 1)]
        let data = try JSONEncoder().encode(transforms)
        XCTAssertEqual(try JSONDecoder().decode([Transform].self, from: data), transforms)
    }
}
