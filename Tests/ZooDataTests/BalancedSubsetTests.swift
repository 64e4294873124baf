import XCTest
@testable import ZooData

final class BalancedSubsetTests: XCTestCase {
    /// 100 one-pixel images whose pixel is their index; classes of unequal size (label = index % 7, then 0 for the last 30).
    private let split = DatasetSplit(matching: (0..<100).map(UInt8.init), labels: (0..<100).map { UInt8($0 < 70 ? $0 % 7 : 0) },
                                     channels: 1, height: 1, width: 1)

    func testTakesTheSameNumberFromEachClassChosenBySeed() {
        let subset = split.balancedSubset(count: 21, seed: 4)
        XCTAssertEqual(subset.count, 21)
        XCTAssertEqual(Dictionary(grouping: subset.labels, by: { $0 }).mapValues(\.count), [0: 3, 1: 3, 2: 3, 3: 3, 4: 3, 5: 3, 6: 3])
        XCTAssertEqual(subset.images, subset.images.sorted(), "in the split's order")
        for (image, label) in zip(subset.images, subset.labels) { XCTAssertEqual(split.labels[Int(image)], label, "images keep their labels") }
        XCTAssertEqual(split.balancedSubset(count: 21, seed: 4).images, subset.images)
        XCTAssertNotEqual(split.balancedSubset(count: 21, seed: 5).images, subset.images)
    }

    func testAClassThatRunsOutLeavesTheRestToTheOthers() {
        // Classes 1-6 have 10 images each, class 0 has 40: 90 images take all of 1-6 and 30 of class 0.
        let subset = split.balancedSubset(count: 90, seed: 1)
        XCTAssertEqual(subset.labels.filter { $0 == 0 }.count, 30)
        XCTAssertEqual(split.balancedSubset(count: 500, seed: 1).count, 100, "a limit above the split's size keeps it whole")
    }
}

extension BalancedSubsetTests {
    /// `validation_split`'s hold-out: balanced like `balancedSubset`, but from a random stream of its own, and the
    /// rest is exactly the images not held out.
    func testPartitionHoldsOutBalancedImagesAndKeepsTheRest() {
        let split = DatasetSplit(matching: (0..<100).map(UInt8.init), labels: (0..<100).map { UInt8($0 % 5) }, channels: 1, height: 1, width: 1)
        let (held, rest) = split.balancedPartition(count: 10, seed: 3, stream: 42)
        XCTAssertEqual(Dictionary(grouping: held.labels, by: { $0 }).mapValues(\.count), [0: 2, 1: 2, 2: 2, 3: 2, 4: 2])
        XCTAssertEqual(rest.count, 90)
        XCTAssertEqual((held.images + rest.images).sorted(), split.images, "every image in exactly one part")
        XCTAssertEqual(rest.images, rest.images.sorted(), "in the split's order")
        for (image, label) in zip(rest.images, rest.labels) { XCTAssertEqual(split.labels[Int(image)], label) }
        XCTAssertNotEqual(split.balancedPartition(count: 10, seed: 3, stream: 43).chosen.images, held.images, "streams differ")
        XCTAssertEqual(split.balancedPartition(count: 10, seed: 3, stream: 42).chosen.images, held.images)
    }
}
