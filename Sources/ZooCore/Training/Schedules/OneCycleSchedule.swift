import Foundation

/// OneCycleLR, stepped every batch over the whole run: from max_lr / div_factor up to `max_lr` over the first
/// `pct_start` of the steps, then down to that over `final_div_factor`; with `three_phase`, back to the start
/// first and then down. Momentum (SGD's, or Adam's beta1) cycles the other way between `max_momentum` and
/// `base_momentum`. `max_lr` defaults to the optimizer's `lr`; `epochs` (the cycle's length, default the run's)
/// is written into the run's config, so a resume with more epochs keeps the cycle and then the final rate.
public struct OneCycleSchedule: ScheduleSettings {
    public static let name = "onecycle"
    public static let keys = ["max_lr", "epochs", "pct_start", "anneal_strategy", "div_factor", "final_div_factor", "three_phase",
                              "cycle_momentum", "base_momentum", "max_momentum"]
    public static let summary = "onecycle (max_lr the optimizer's lr, epochs the run's, pct_start 0.3, anneal_strategy cos|linear, div_factor 25, "
        + "final_div_factor 1e4, three_phase false, cycle_momentum true, base_momentum 0.85, max_momentum 0.95), per batch"
    public static let alwaysPerStep = true
    public var maximumRate: Double?
    public var warmupFraction: Double
    public var cosineAnnealing: Bool
    public var divisionFactor: Double
    public var finalDivisionFactor: Double
    public var threePhase: Bool
    public var cyclesMomentum: Bool
    public var baseMomentum: Double
    public var maximumMomentum: Double
    /// The cycle spans epochs x steps per epoch batches.
    public var epochs: Int

    public static func read(_ settings: any SettingsReader, epochs: Int) throws -> OneCycleSchedule {
        let maximumRate = settings.contains("max_lr") ? try settings.number("max_lr", default: 0, "greater than 0") { $0 > 0 } : nil
        let threePhase = try settings.flag("three_phase", default: false)
        let (limit, range) = threePhase ? (0.5, "in (0, 0.5) with three_phase") : (1, "in (0, 1)")
        let warmupFraction = try settings.number("pct_start", default: 0.3, range) { $0 > 0 && $0 < limit }
        let strategy = try settings.choice("anneal_strategy", default: "cos", from: ["cos", "linear"])
        let momentum = { (key: String, value: Double) in try settings.number(key, default: value, "in [0, 1)") { $0 >= 0 && $0 < 1 } }
        return OneCycleSchedule(
            maximumRate: maximumRate, warmupFraction: warmupFraction, cosineAnnealing: strategy == "cos",
            divisionFactor: try settings.number("div_factor", default: 25, "greater than 0") { $0 > 0 },
            finalDivisionFactor: try settings.number("final_div_factor", default: 1e4, "greater than 0") { $0 > 0 },
            threePhase: threePhase, cyclesMomentum: try settings.flag("cycle_momentum", default: true),
            baseMomentum: try momentum("base_momentum", 0.85), maximumMomentum: try momentum("max_momentum", 0.95),
            epochs: try settings.integer("epochs", default: epochs, atLeast: 1))
    }

    public var written: [(key: String, value: ArgumentValue)] {
        (maximumRate.map { [("max_lr", ArgumentValue.double($0))] } ?? [])
            + [("epochs", .int(epochs)), ("pct_start", .double(warmupFraction)), ("anneal_strategy", .string(cosineAnnealing ? "cos" : "linear")),
               ("div_factor", .double(divisionFactor)), ("final_div_factor", .double(finalDivisionFactor)), ("three_phase", .bool(threePhase)),
               ("cycle_momentum", .bool(cyclesMomentum)), ("base_momentum", .double(baseMomentum)), ("max_momentum", .double(maximumMomentum))]
    }

    /// One step per epoch: OneCycleLR with `steps_per_epoch=1`, stepped per epoch.
    public func learningRate(base: Double, epoch: Int) -> Double { learningRate(base: base, step: epoch, stepsPerEpoch: 1) }

    public func learningRate(base: Double, step: Int, stepsPerEpoch: Int) -> Double {
        let peak = maximumRate ?? base
        let initial = peak / divisionFactor
        let rates = threePhase ? [initial, peak, initial, initial / finalDivisionFactor] : [initial, peak, initial / finalDivisionFactor]
        return interpolate(rates, step: step, stepsPerEpoch: stepsPerEpoch)
    }

    public func momentum(step: Int, stepsPerEpoch: Int) -> Double? {
        guard cyclesMomentum else { return nil }
        let values = threePhase ? [maximumMomentum, baseMomentum, maximumMomentum, maximumMomentum]
            : [maximumMomentum, baseMomentum, maximumMomentum]
        return interpolate(values, step: step, stepsPerEpoch: stepsPerEpoch)
    }

    /// torch's `get_lr`: phase i runs from `values[i]` to `values[i + 1]` and ends at step pct_start x total - 1
    /// (three phases: also 2 x pct_start x total - 2), the last at total - 1.
    private func interpolate(_ values: [Double], step: Int, stepsPerEpoch: Int) -> Double {
        let total = Double(epochs * stepsPerEpoch)
        let rise = warmupFraction * total - 1
        let ends = threePhase ? [rise, 2 * warmupFraction * total - 2, total - 1] : [rise, total - 1]
        let step = Double(min(step, epochs * stepsPerEpoch))
        let phase = ends.firstIndex { step <= $0 } ?? ends.count - 1
        let start = phase == 0 ? 0 : ends[phase - 1]
        // A phase of no steps (a run of very few batches) is at its end; torch divides by zero there.
        let fraction = ends[phase] > start ? (step - start) / (ends[phase] - start) : 1
        return anneal(from: values[phase], to: values[phase + 1], fraction)
    }

    private func anneal(from start: Double, to end: Double, _ fraction: Double) -> Double {
        cosineAnnealing ? end + (start - end) / 2 * (cos(Double.pi * fraction) + 1) : (end - start) * fraction + start
    }
}

extension LearningRateSchedule {
    public static func oneCycle(_ settings: OneCycleSchedule) -> LearningRateSchedule { LearningRateSchedule(settings) }
}
