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
