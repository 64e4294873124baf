import ArgumentParser
import ZooConfig
import ZooCore
import ZooData
import ZooTraining

/// A dataset name as typed. `--help` lists the registered datasets; a misspelling is reported by
/// `DatasetName.parse` when used, with the same did-you-mean error a config file gets.
struct DatasetArgument: ExpressibleByArgument {
    let text: String

    init(argument: String) { text = argument }

    static var allValueStrings: [String] { DatasetName.allCases.map(\.rawValue) }
    var defaultValueDescription: String { text }

    var name: DatasetName { get throws { try DatasetName.parse(text) } }
    /// A registered name or an existing folder of images.
    var source: DatasetSource { get throws { try DatasetSource.parse(text) } }
    var input: DatasetInput { get throws { DatasetInput(try name) } }
}

/// An optimizer name as typed; `--help` lists the registered optimizers with their settings' defaults.
struct OptimizerArgument: ExpressibleByArgument {
    let text: String

    init(argument: String) { text = argument }

    static var allValueStrings: [String] { OptimizerRegistry.names }
}

/// `--dataset NAME`, for commands that size a model for a dataset's input.
struct DatasetOption: ParsableArguments {
    @Option(help: "Dataset whose input shape and class count to use.")
    var dataset = DatasetArgument(argument: "mnist")
}

/// `--data-dir DIR`.
struct DataDirectoryOption: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Data directory, searched before $ZOO_DATA and ./data (folders mnist/, cifar10/, ...).")
    var dataDirectory: String?
}

/// `--replicas N`, for commands that train: each batch split across N single-threaded copies of the network.
struct ReplicasOption: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp(
        "Split each batch across N single-threaded replicas of the network, one per core (default: one per thread for networks without batchnorm, else 1).",
        valueName: "N"))
    var replicas: Int?
}

extension PrecisionSetting: ExpressibleByArgument {}

/// `--precision fp32|bf16|int8|auto`, for commands that run a network.
struct PrecisionOption: ParsableArguments {
    @Option(help: "Arithmetic: fp32, bf16 (mixed precision; needs a CPU with AVX512-BF16 or AMX), int8 (inference of a checkpoint from `zoo quantize`, which defaults to it) or auto (bf16 where native and a convolution timed here runs faster in it). See docs/precision.md.")
    var precision: PrecisionSetting?

    /// The precision to run in (`fallback` when not given) and why.
    func resolve(fallback: PrecisionSetting = .fp32) throws -> (precision: Precision, reason: String) {
        if let precision { return try precision.resolve() }
        return try fallback.resolve(chosenBecause: fallback == .int8 ? "the default for a quantized checkpoint" : "the default")
    }
}

extension RestoredModel {
    /// The precision asked for, else int8 for a quantized checkpoint and fp32 for any other.
    func resolvedPrecision(_ option: PrecisionOption) throws -> Precision {
        try option.resolve(fallback: network.quantization == nil ? .fp32 : .int8).precision
    }
}

/// `--json`.
struct JSONOption: ParsableArguments {
    @Flag(help: "Print JSON instead of text.")
    var json = false
}

/// `--set KEY=VALUE`, repeatable: a config key path for `train` and `compare` (`optimizer.lr=0.05`,
/// `model.n_hidden=16`), an architecture parameter for `summary` (`n_hidden=16`).
struct SetOption: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp(
        "Override a value: a config key such as optimizer.lr=0.05 (train, compare) or an architecture parameter such as n_hidden=16 (summary).",
        valueName: "KEY=VALUE"))
    var settings: [String] = []

    /// The settings as architecture parameters, each key at most once, each value read as YAML.
    func parameters() throws -> [String: ArgumentValue] {
        var parameters: [String: ArgumentValue] = [:]
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw ZooError("--set expects KEY=VALUE, such as `--set n_hidden=16`, not `\(setting)`")
            }
            let key = String(setting[..<equals]).trimmingCharacters(in: .whitespaces)
            if parameters[key] != nil { throw ZooError("--set \(key) is given more than once") }
            parameters[key] = Architecture.parameterValue(text: String(setting[setting.index(after: equals)...]))
        }
        return parameters
    }
}
