import Yams
import ZooCore

extension TrainingConfig {
    /// `validation_split: 0.1`, `evaluate_every: 2`, `early_stopping: {metric: val_loss, patience: 3, min_delta: 0}` and
    /// `ema: {decay: 0.999, warmup: false}`; `--set KEY=~` takes any of them away.
    static func readValidation(_ top: [String: ConfigField], into config: inout TrainingConfig, _ reader: ConfigReader) throws {
        func present(_ key: String) -> ConfigField? { top[key].flatMap { isNull($0.node) ? nil : $0 } }
        config.validationSplit = try present("validation_split").map { try reader.number($0, "in (0, 1)") { $0 > 0 && $0 < 1 } }
        config.evaluateEvery = try present("evaluate_every").map { try reader.integer($0, atLeast: 1, atMost: 1_000_000) } ?? 1
        if let field = present("early_stopping") {
            let settings = try SectionReader(reader, field, allowed: ["metric", "patience", "min_delta"], owner: "`early_stopping`",
                                             missingHint: "write `early_stopping: {metric: val_accuracy, patience: 3}`")
            let metrics = [EpochMonitor.Metric.valLoss, .valAccuracy]
            let metric = try settings.choice("metric", default: EpochMonitor.Metric.valLoss.rawValue, from: metrics.map(\.rawValue))
            config.earlyStopping = EarlyStopping(metric: EpochMonitor.Metric(rawValue: metric) ?? .valLoss,
                                                 patience: try settings.integer("patience", default: nil, atLeast: 1, atMost: 1_000_000),
                                                 minDelta: try settings.number("min_delta", default: 0, "of at least 0") { $0 >= 0 })
            guard config.validationSplit != nil else {
                throw reader.fail("`early_stopping` watches \(metric) on the validation split, so it needs `validation_split`", at: field,
                                  hint: "add `validation_split: 0.1` to hold out a tenth of the training images")
            }
        }
        if let field = present("ema") {
            let settings = try SectionReader(reader, field, allowed: ["decay", "warmup"], owner: "`ema`")
            config.exponentialMovingAverage = ExponentialMovingAverage.Settings(
                decay: try settings.number("decay", default: 0.999, "in (0, 1)") { $0 > 0 && $0 < 1 },
                warmup: try settings.flag("warmup", default: false))
        }
    }

    /// Their lines in the resolved config, left out when not set.
    var validationWritten: [(key: String, value: ArgumentValue)] {
        var entries: [(key: String, value: ArgumentValue)] = []
        if let validationSplit { entries.append(("validation_split", .double(validationSplit))) }
        if evaluateEvery != 1 { entries.append(("evaluate_every", .int(evaluateEvery))) }
        if let earlyStopping {
            entries.append(("early_stopping", .mapping([("metric", .string(earlyStopping.metric.rawValue)), ("patience", .int(earlyStopping.patience)),
                                                        ("min_delta", .double(earlyStopping.minDelta))])))
        }
        if let exponentialMovingAverage {
            entries.append(("ema", .mapping([("decay", .double(exponentialMovingAverage.decay)), ("warmup", .bool(exponentialMovingAverage.warmup))])))
        }
        return entries
    }
}
