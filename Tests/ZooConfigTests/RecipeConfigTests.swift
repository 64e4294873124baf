import XCTest
import ZooConfig
import ZooCore

/// Issue 21's recipe settings: label smoothing, per-batch schedules, onecycle; their round trips and located errors.
extension TrainingConfigTests {
    func testLabelSmoothing() throws {
        let config = try resolve("loss: {name: cross_entropy, label_smoothing: 0.1}")
        XCTAssertEqual(config.loss, .crossEntropy)
        XCTAssertEqual(config.labelSmoothing, 0.1)
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
        XCTAssertEqual(try resolve("loss: nll").labelSmoothing, 0)
        XCTAssertEqual(try resolve("loss: cross_entropy", ["loss.label_smoothing=0.2"]).labelSmoothing, 0.2)
    }

    func testBadLabelSmoothing() {
        expectError("loss:\n  name: cross_entropy\n  label_smoothing: 1.5\n", line: 3, "`loss.label_smoothing` must be a number from 0 to 1")
        expectError("loss: {name: nll, label_smoothing: 0.1}\n", line: 1, "only `cross_entropy` takes `label_smoothing`, not `nll`")
        expectError("loss: {label_smoothing: 0.1}\n", line: 1, "`loss` needs a `name`")
        expectError("loss: {name: cross_entropy, smoothing: 0.1}\n", line: 1, "has no key `smoothing`")
    }

    func testPerStepSchedulesAndOneCycle() throws {
        let cosine = try resolve("epochs: 4\nschedule: {name: cosine, per_step: true}").schedule
        XCTAssertTrue(cosine.perStep && cosine.stepsEveryBatch)
        XCTAssertFalse(try resolve("schedule: cosine").schedule.stepsEveryBatch)
        let oneCycle = try resolve("epochs: 3\noptimizer: {name: sgd, lr: 0.2}\nschedule: {name: onecycle, three_phase: true, anneal_strategy: linear}")
        XCTAssertTrue(oneCycle.schedule.stepsEveryBatch, "onecycle steps every batch without per_step")
        for config in [try resolve("schedule: {name: step, step_size: 2, per_step: true}"), oneCycle,
                       try resolve("schedule: {name: onecycle, max_lr: 0.4, cycle_momentum: false}")] {
            XCTAssertEqual(try resolve(config.resolvedYAML), config, config.resolvedYAML)
        }
    }

    func testBadOneCycle() {
        expectError("schedule:\n  name: onecycle\n  pct_start: 1\n", line: 3, "`schedule.pct_start` must be a number in (0, 1)")
        expectError("schedule: {name: onecycle, three_phase: true, pct_start: 0.6}\n", line: 1, "in (0, 0.5) with three_phase")
        expectError("schedule:\n  name: onecycle\n  anneal_strategy: linera\n", line: 3, "anneal_strategy", hint: "did you mean `linear`?")
        expectError("schedule: {name: onecycle, max_momentum: 1}\n", line: 1, "`schedule.max_momentum` must be a number in [0, 1)")
        expectError("schedule: {name: onecycle, div_factor: 0}\n", line: 1, "`schedule.div_factor` must be a number greater than 0")
        expectError("schedule: {name: cosine, per_step: 2}\n", line: 1, "per_step")
    }
}

extension TrainingConfigTests {
    func testRandomErasingAndTranslate() throws {
        let config = try resolve("dataset: {name: cifar10, translate: 2, random_erasing: {p: 0.25, scale: [0.1, 0.2]}}")
        XCTAssertEqual(config.transforms, [.translate(2), .randomErasing(p: 0.25, scale: [0.1, 0.2])])
        XCTAssertFalse(config.transforms.contains { $0.isDeterministic }, "training images only")
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
        XCTAssertEqual(try resolve("dataset: {random_erasing: {}}").transforms, [.randomErasing()])
    }

    func testBadRandomErasingAndTranslate() {
        expectError("dataset:\n  random_erasing: {p: 1.5}\n", line: 2, "`dataset.random_erasing.p` must be a number from 0 to 1")
        expectError("dataset:\n  random_erasing:\n    scale: [0.4, 0.1]\n", line: 3, "`dataset.random_erasing.scale` must be two numbers, the smaller first")
        expectError("dataset:\n  random_erasing:\n    ratio: [0, 1]\n", line: 3, "must be a number greater than 0")
        expectError("dataset: {random_erasing: {value: 2}}\n", line: 1, "`dataset.random_erasing.value` must be a number from 0 to 1")
        expectError("dataset: {random_erasing: {alpha: 2}}\n", line: 1, "`random_erasing` has no key `alpha`")
        expectError("dataset:\n  translate: 0\n", line: 2, "`dataset.translate` must be from 1 to 1024, not 0")
    }
}

extension TrainingConfigTests {
    func testMixUpAndCutMix() throws {
        let both = try resolve("dataset: {mixup: {alpha: 0.2}, cutmix: {alpha: 1.0}, switch_prob: 0.3}")
        XCTAssertEqual(both.batchMixing, BatchMixing(mixupAlpha: 0.2, cutmixAlpha: 1, switchProbability: 0.3))
        XCTAssertEqual(try resolve(both.resolvedYAML), both)
        let cutmix = try resolve("dataset: {cutmix: {}}")
        XCTAssertEqual(cutmix.batchMixing, BatchMixing(mixupAlpha: nil, cutmixAlpha: 1))
        XCTAssertEqual(try resolve(cutmix.resolvedYAML), cutmix)
        XCTAssertNil(try resolve("dataset: mnist").batchMixing)
    }

    func testBadMixUpAndCutMix() {
        expectError("dataset:\n  mixup: {alpha: 0}\n", line: 2, "`dataset.mixup.alpha` must be a number greater than 0")
        expectError("dataset:\n  cutmix:\n    alpha: -1\n", line: 3, "`dataset.cutmix.alpha` must be a number greater than 0")
        expectError("dataset:\n  mixup: {alpha: 0.2}\n  switch_prob: 0.5\n", line: 3, "`switch_prob` chooses between mixup and cutmix, so it needs both")
        expectError("dataset: {mixup: {}, cutmix: {}, switch_prob: 2}\n", line: 1, "`dataset.switch_prob` must be a number from 0 to 1")
        expectError("dataset: {mixup: {beta: 1}}\n", line: 1, "`mixup` has no key `beta`")
    }
}

extension TrainingConfigTests {
    func testTestTimeAugmentation() throws {
        let config = try resolve("tta: [hflip, translate]")
        XCTAssertEqual(config.testTimeAugmentation, TestTimeAugmentation(views: [.hflip, .translate]))
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
        XCTAssertNil(try resolve("tta: []").testTimeAugmentation)
        expectError("\ntta: [hflip, rotate]\n", line: 2, "unknown tta view `rotate`")
        expectError("tta: [hflip, hflip]\n", line: 1, "`tta` lists `hflip` twice")
        expectError("tta: hflip\n", line: 1, "`tta` must be a list")
    }
}
