import XCTest
import ZooConfig
import ZooCore

/// `validation_split`, `early_stopping` and `ema`: defaults, round trips through the resolved config, located errors.
extension TrainingConfigTests {
    func testValidationSplitEarlyStoppingAndMovingAverage() throws {
        let config = try resolve("validation_split: 0.1\nearly_stopping: {metric: val_accuracy, patience: 3, min_delta: 0.001}\nema: {decay: 0.99, warmup: true}")
        XCTAssertEqual(config.validationSplit, 0.1)
        XCTAssertEqual(config.earlyStopping, EarlyStopping(metric: .valAccuracy, patience: 3, minDelta: 0.001))
        XCTAssertEqual(config.exponentialMovingAverage, ExponentialMovingAverage.Settings(decay: 0.99, warmup: true))
        XCTAssertEqual(try resolve(config.resolvedYAML), config, config.resolvedYAML)
        // Keras' defaults: val_loss, min_delta 0; timm's and torch's decay 0.999 without warmup.
        let defaults = try resolve("validation_split: 0.2\nearly_stopping: {patience: 2}\nema: {}")
        XCTAssertEqual(defaults.earlyStopping, EarlyStopping(metric: .valLoss, patience: 2, minDelta: 0))
        XCTAssertEqual(defaults.exponentialMovingAverage, ExponentialMovingAverage.Settings(decay: 0.999, warmup: false))
        XCTAssertEqual(try resolve(defaults.resolvedYAML), defaults, defaults.resolvedYAML)
        let plain = try resolve("epochs: 2")
        XCTAssertNil(plain.validationSplit)
        XCTAssertNil(plain.earlyStopping)
        XCTAssertNil(plain.exponentialMovingAverage)
        XCTAssertFalse(plain.resolvedYAML.contains("ema"), plain.resolvedYAML)
        let set = try resolve("validation_split: 0.1", ["ema.decay=0.9", "early_stopping.patience=4", "validation_split=0.25"])
        XCTAssertEqual(set.exponentialMovingAverage?.decay, 0.9)
        XCTAssertEqual(set.earlyStopping?.patience, 4)
        XCTAssertEqual(set.validationSplit, 0.25)
        XCTAssertNil(try resolve("ema: {decay: 0.9}", ["ema=~"]).exponentialMovingAverage)
    }

    /// `evaluate_every`: 1 unless set, listed in the resolved config only when set.
    func testEvaluateEvery() throws {
        XCTAssertEqual(try resolve("epochs: 2").evaluateEvery, 1)
        XCTAssertFalse(try resolve("epochs: 2").resolvedYAML.contains("evaluate_every"))
        let config = try resolve("epochs: 6\nevaluate_every: 3")
        XCTAssertEqual(config.evaluateEvery, 3)
        XCTAssertTrue(config.resolvedYAML.contains("evaluate_every: 3"), config.resolvedYAML)
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
        XCTAssertEqual(try resolve("evaluate_every: 3", ["evaluate_every=~"]).evaluateEvery, 1)
        expectError("epochs: 2\nevaluate_every: 0\n", line: 2, "`evaluate_every` must be from 1")
        expectError("evaluate_every: every\n", line: 1, "`evaluate_every` must be")
    }

    func testBadValidationSplitEarlyStoppingAndMovingAverage() {
        expectError("ema:\n  decay: 1\n", line: 2, "`ema.decay` must be a number in (0, 1)")
        expectError("ema: {decay: 0}\n", line: 1, "`ema.decay` must be a number in (0, 1)")
        expectError("ema:\n  warmup: maybe\n", line: 2, "`ema.warmup` must be true or false")
        expectError("ema: {decai: 0.9}\n", line: 1, "`ema` has no key `decai`", hint: "did you mean `decay`?")
        expectError("epochs: 3\nvalidation_split: 1\n", line: 2, "`validation_split` must be a number in (0, 1)")
        expectError("validation_split: -0.1\n", line: 1, "`validation_split` must be a number in (0, 1)")
        expectError(nil, ["validation_split=0"], place: "--set validation_split=0", "`validation_split` must be a number in (0, 1)")
        expectError("validation_split: 0.1\nearly_stopping:\n  patience: 0\n", line: 3, "`early_stopping.patience` must be from 1")
        expectError("validation_split: 0.1\nearly_stopping:\n  metric: test_accuracy\n  patience: 2\n", line: 3, "metric")
        expectError("validation_split: 0.1\nearly_stopping: {metric: val_acuracy, patience: 2}\n", line: 2, "metric", hint: "did you mean `val_accuracy`?")
        expectError("validation_split: 0.1\nearly_stopping: {metric: val_loss}\n", line: 2, "`early_stopping` needs `patience`")
        expectError("validation_split: 0.1\nearly_stopping: {patience: 2, min_delta: -1}\n", line: 2, "`early_stopping.min_delta` must be a number of at least 0")
        expectError("epochs: 5\nearly_stopping: {patience: 2}\n", line: 2, "`early_stopping` watches val_loss on the validation split, so it needs `validation_split`",
                    hint: "add `validation_split: 0.1` to hold out a tenth of the training images")
    }
}
