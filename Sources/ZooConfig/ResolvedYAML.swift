import Foundation
import ZooCore
import ZooData

extension TrainingConfig {
    /// The config as YAML in the file format, every default spelled out: printed when training starts and
    /// saved as the run's `config.yaml`. `resolve(text: resolvedYAML, ...)` gives back an equal config.
    public var resolvedYAML: String {
        var lines = ["name: \(yamlText(name))"]
        if modelParameters.isEmpty {
            lines.append("model: \(yamlText(model))")
        } else {
            lines.append("model: " + flowMapping([("name", yamlText(model))] + modelParameters.sorted { $0.key < $1.key }.map { ($0.key, yamlText($0.value)) }))
        }
        var dataset = [("name", dataset.rawValue), ("normalize", "\(normalize)")]
        if let dataDirectory { dataset.append(("data_dir", yamlText(dataDirectory))) }
        // The parser builds transforms in this key order, so listing them in order round-trips.
        for transform in transforms {
            switch transform {
            case .padTo(let size): dataset.append(("pad_to", "\(size)"))
            case .permutePixels(let seed): dataset.append(("permute_pixels", "\(seed)"))
            case .randomCrop(let size, let padding): dataset.append(("random_crop", flowMapping([("size", "\(size)"), ("padding", "\(padding)")])))
            case .horizontalFlip: dataset.append(("hflip", "true"))
            }
        }
        lines.append("dataset: " + flowMapping(dataset))
        var optimizerSettings = [("name", optimizer.name.rawValue), ("lr", "\(optimizer.learningRate)")]
        switch optimizer.name {
        case .sgd:
            optimizerSettings += [("momentum", "\(optimizer.momentum)"), ("dampening", "\(optimizer.dampening)"),
                                  ("nesterov", "\(optimizer.nesterov)")]
        case .adam, .adamw:
            optimizerSettings += [("betas", "[\(optimizer.beta1), \(optimizer.beta2)]"), ("eps", "\(optimizer.epsilon)")]
        }
        optimizerSettings.append(("weight_decay", "\(optimizer.weightDecay)"))
        lines.append("optimizer: " + flowMapping(optimizerSettings))
        lines.append("schedule: " + scheduleText)
        lines += ["epochs: \(epochs)", "batch_size: \(batchSize)", "seed: \(seed)"]
        lines.append(loss.map { "loss: \($0.rawValue)" } ?? "# loss: not set, so nll after log_softmax, else cross_entropy")
        lines.append("log_every: \(logEvery)")
        return lines.joined(separator: "\n") + "\n"
    }

    private var scheduleText: String {
        switch schedule {
        case .constant:
            return "none"
        case .step(let stepSize, let gamma):
            return flowMapping([("name", "step"), ("step_size", "\(stepSize)"), ("gamma", "\(gamma)")])
        case .multiStep(let milestones, let gamma):
            return flowMapping([("name", "multistep"), ("milestones", "\(milestones)"), ("gamma", "\(gamma)")])
        case .cosine(let maximumEpochs, let minimum):
            return flowMapping([("name", "cosine"), ("t_max", "\(maximumEpochs)"), ("eta_min", "\(minimum)")])
        case .warmup(let epochs, let startFactor):
            return flowMapping([("name", "warmup"), ("epochs", "\(epochs)"), ("start_factor", "\(startFactor)")])
        case .warmupCosine(let warmupEpochs, let startFactor, let maximumEpochs, let minimum):
            return flowMapping([("name", "warmup_cosine"), ("warmup_epochs", "\(warmupEpochs)"), ("start_factor", "\(startFactor)"),
                                ("t_max", "\(maximumEpochs)"), ("eta_min", "\(minimum)")])
        }
    }
}

private func flowMapping(_ entries: [(String, String)]) -> String {
    "{" + entries.map { "\($0.0): \($0.1)" }.joined(separator: ", ") + "}"
}

/// Text as a YAML scalar that reads back as the same text: plain when that is safe, else double-quoted.
func yamlText(_ text: String) -> String {
    let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.+-/")
    if !text.isEmpty, text.allSatisfy(plain.contains), !["null", "Null", "NULL"].contains(text) { return text }
    var escaped = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": escaped += "\\\\"
        case "\"": escaped += "\\\""
        case "\n": escaped += "\\n"
        case "\t": escaped += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7f: escaped += String(format: "\\x%02x", scalar.value)
        default: escaped.unicodeScalars.append(scalar)
        }
    }
    return "\"\(escaped)\""
}
