import Foundation
import XCTest
import ZooConfig
import ZooCore
import ZooData

/// Training configs: defaults, shipped files, `--set` overrides, resolvedYAML round trips, compare files,
/// and the errors a user sees for mistakes in any of them.
final class TrainingConfigTests: XCTestCase {
    static let configsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("configs")

    func resolve(_ yaml: String, _ overrides: [String] = []) throws -> TrainingConfig {
        try TrainingConfig.resolve(text: yaml, file: "run.yaml", overrides: overrides)
    }

    /// Expects a ZooError whose message contains `message`: at `line` of run.yaml, or, with `place`, at that place.
    func expectError(_ yaml: String?, _ overrides: [String] = [], line: Int? = nil, place: String? = nil, _ message: String,
                     hint: String? = nil, compare: Bool = false, file: StaticString = #filePath, testLine: UInt = #line) {
        do {
            if compare {
                _ = try CompareConfig.resolve(text: yaml ?? "", file: "run.yaml", overrides: overrides)
            } else if let yaml {
                _ = try resolve(yaml, overrides)
            } else {
                _ = try TrainingConfig.defaults(overrides: overrides)
            }
            XCTFail("expected an error containing \"\(message)\"", file: file, line: testLine)
        } catch let error as ZooError {
            XCTAssertTrue(error.message.contains(message), "message was: \(error)", file: file, line: testLine)
            XCTAssertEqual(error.location?.line, line, "location of: \(error)", file: file, line: testLine)
            if line != nil { XCTAssertEqual(error.location?.file, "run.yaml", file: file, line: testLine) }
            if let place { XCTAssertEqual(error.place, place, "\(error)", file: file, line: testLine) }
            if let hint { XCTAssertTrue(error.hint?.contains(hint) == true, "hint was: \(error.hint ?? "none")", file: file, line: testLine) }
        } catch {
            XCTFail("not a ZooError: \(error)", file: file, line: testLine)
        }
    }

    // MARK: Defaults

    func testDefaults() throws {
        let config = try TrainingConfig.defaults(overrides: [])
        XCTAssertEqual(config.name, "lenet")
        XCTAssertEqual(config.model, "lenet")
        XCTAssertEqual(config.modelParameters, [:])
        XCTAssertEqual(config.dataset, .builtIn(.mnist))
        XCTAssertNil(config.dataDirectory)
        XCTAssertTrue(config.normalize)
        XCTAssertEqual(config.transforms, [])
        XCTAssertEqual(config.optimizer.name, .sgd)
        XCTAssertEqual(config.optimizer.learningRate, 0.01)
        XCTAssertEqual(config.optimizer.momentum, 0.9)
        XCTAssertEqual(config.schedule, .constant)
        XCTAssertEqual(config.epochs, 1)
        XCTAssertEqual(config.batchSize, 64)
        XCTAssertEqual(config.seed, 0)
        XCTAssertNil(config.loss)
        XCTAssertEqual(config.logEvery, 100)
        XCTAssertEqual(try resolve(""), try resolve("# only a comment\n").self)
        XCTAssertEqual(try resolve("").name, "run")
    }

    func testCommandLineFlagsAsOverrides() throws {
        let config = try TrainingConfig.defaults(overrides: ["model=lenet", "dataset=fashion-mnist", "optimizer=adam",
                                                             "optimizer.lr=0.001", "epochs=5"])
        XCTAssertEqual(config.dataset, .builtIn(.fashionMNIST))
        XCTAssertEqual(config.optimizer.name, .adam)
        XCTAssertEqual(config.optimizer.learningRate, 0.001)
        XCTAssertEqual(config.optimizer.momentum, 0)
        XCTAssertEqual(config.optimizer.beta2, 0.999)
        XCTAssertEqual(config.epochs, 5)
        XCTAssertEqual(try TrainingConfig.defaults(overrides: ["model=my/nets/wide.yaml"]).name, "wide")
    }

    func testFullFile() throws {
        let config = try resolve("""
            name: full
            model: {name: cnn, n_feature: 12}
            dataset: {name: CIFAR-10, normalize: false, data_dir: /tmp/d, hflip: true, random_crop: {padding: 4}, pad_to: 36, permute_pixels: 7}
            optimizer: {name: adamw, lr: 0.002, betas: [0.8, 0.99], eps: 1e-6}
            schedule: {name: warmup_cosine, warmup_epochs: 2, start_factor: 0.5}
            epochs: 10
            batch_size: 32
            seed: 3
            loss: mse
            log_every: 7
            """)
        XCTAssertEqual(config.modelParameters, ["n_feature": .int(12)])
        XCTAssertEqual(config.dataset, .builtIn(.cifar10))
        XCTAssertEqual(config.dataDirectory, "/tmp/d")
        XCTAssertFalse(config.normalize)
        XCTAssertEqual(config.transforms, [.padTo(36), .permutePixels(seed: 7), .randomCrop(size: 32, padding: 4), .horizontalFlip])
        XCTAssertEqual(config.optimizer.weightDecay, 0.01)
        XCTAssertEqual(config.optimizer.beta1, 0.8)
        XCTAssertEqual(config.optimizer.epsilon, 1e-6)
        XCTAssertEqual(config.schedule, .warmupCosine(warmupEpochs: 2, startFactor: 0.5, maximumEpochs: 8, minimum: 0))
        XCTAssertEqual(config.loss, .mse)
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
    }

    func testSchedules() throws {
        XCTAssertEqual(try resolve("schedule: none").schedule, .constant)
        XCTAssertEqual(try resolve("epochs: 6\nschedule: cosine").schedule, .cosine(maximumEpochs: 6, minimum: 0))
        XCTAssertEqual(try resolve("schedule: {name: step, step_size: 3}").schedule, .step(stepSize: 3, gamma: 0.1))
        XCTAssertEqual(try resolve("schedule: {name: multistep, milestones: [2, 5], gamma: 0.5}").schedule,
                       .multiStep(milestones: [2, 5], gamma: 0.5))
        XCTAssertEqual(try resolve("schedule: {name: warmup, epochs: 2}").schedule, .warmup(epochs: 2, startFactor: 0.1))
        for yaml in ["schedule: {name: step, step_size: 3}", "schedule: {name: multistep, milestones: [2, 5]}",
                     "schedule: {name: warmup, epochs: 2}", "schedule: {name: cosine, t_max: 4, eta_min: 0.001}"] {
            let config = try resolve(yaml)
            XCTAssertEqual(try resolve(config.resolvedYAML), config, yaml)
        }
    }

    // MARK: Shipped configs

    func testShippedConfigsParseAndRoundTrip() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.configsFolder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertEqual(files.count, 15)
        for file in files {
            let configs = try CompareConfig.load(path: Self.configsFolder.appendingPathComponent(file).path, overrides: [])
            for config in configs {
                XCTAssertEqual(try TrainingConfig.resolve(text: config.resolvedYAML, file: "resolved.yaml", overrides: []), config, file)
                // Every model named in a shipped config exists and accepts its parameters.
                let architecture = try ArchitectureRegistry().architecture(named: config.model)
                guard case .builtIn(let dataset) = config.dataset else { return XCTFail("\(file) trains on a folder") }
                _ = try architecture.network(dataset: DatasetInput(dataset), overrides: config.modelParameters)
            }
        }
    }

    /// configs/results/MODEL_DATASET.yaml: each says whether the table runs it, names its model and dataset, and builds.
    func testResultsRecipesMatchTheirNamesAndBuild() throws {
        let folder = Self.configsFolder.appendingPathComponent("results")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(files.count, 30)
        for file in files {
            let path = folder.appendingPathComponent(file).path
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertTrue(text.hasPrefix("# status: run\n") || text.hasPrefix("# status: not run here ("), file)
            let config = try TrainingConfig.load(path: path, overrides: [])
            guard case .builtIn(let dataset) = config.dataset else { XCTFail("\(file): not a built-in dataset"); continue }
            XCTAssertEqual("\(config.model)_\(dataset.rawValue).yaml", file)
            XCTAssertEqual(try TrainingConfig.resolve(text: config.resolvedYAML, file: "resolved.yaml", overrides: []), config, file)
            _ = try ArchitectureRegistry().architecture(named: config.model).network(dataset: DatasetInput(dataset),
                                                                                     overrides: config.modelParameters)
        }
    }

    func testFineTuningSettings() throws {
        let config = try resolve("""
            model: lenet
            dataset: {name: mnist, train_limit: 1000}
            init_from: lenet@fashion-mnist
            freeze: [conv1, conv2]
            """)
        XCTAssertEqual(config.trainLimit, 1000)
        XCTAssertEqual(config.initFrom, "lenet@fashion-mnist")
        XCTAssertEqual(config.freeze, ["conv1", "conv2"])
        XCTAssertEqual(try TrainingConfig.resolve(text: config.resolvedYAML, file: "resolved.yaml", overrides: []), config)
        XCTAssertTrue(config.resolvedYAML.contains("freeze: [conv1, conv2]"), config.resolvedYAML)
        XCTAssertEqual(try resolve("freeze: all_but_last\n").freeze, ["all_but_last"])
        XCTAssertEqual(try resolve("model: lenet\n", ["freeze=[conv1]", "init_from=runs/a/best.safetensors"]).initFrom, "runs/a/best.safetensors")
        XCTAssertNil(try resolve("init_from: lenet@mnist\n", ["init_from=~"]).initFrom)
        let plain = try resolve("model: lenet\n")
        XCTAssertEqual([plain.trainLimit == nil, plain.initFrom == nil, plain.freeze.isEmpty], [true, true, true])
        XCTAssertFalse(plain.resolvedYAML.contains("freeze"), "unset settings are not written")
        expectError("dataset: {name: mnist, train_limit: 0}\n", line: 1, "`dataset.train_limit` must be at least 1")
        expectError("freeze: [conv1, {a: 1}]\n", line: 1, "must be a word or text")
    }

    func testShippedConfigValues() throws {
        func load(_ file: String) throws -> TrainingConfig {
            try TrainingConfig.load(path: Self.configsFolder.appendingPathComponent(file).path, overrides: [])
        }
        let fashion = try load("fashion_net7.yaml")
        XCTAssertEqual(fashion.name, "fashion_net7")
        XCTAssertEqual(fashion.model, "fashion-net7")
        XCTAssertEqual(fashion.dataset, .builtIn(.fashionMNIST))
        XCTAssertFalse(fashion.normalize)
        XCTAssertEqual(fashion.optimizer.learningRate, 0.1)
        XCTAssertEqual(fashion.optimizer.momentum, 0)
        XCTAssertEqual([fashion.batchSize, fashion.epochs], [40, 5])
        let vgg = try load("vgg_cifar.yaml")
        XCTAssertEqual(vgg.transforms, [.randomCrop(size: 32, padding: 4), .horizontalFlip])
        XCTAssertEqual(vgg.optimizer.name, .adam)
        XCTAssertEqual([vgg.batchSize, vgg.epochs], [128, 10])
        let fc = try load("fc2layer_mnist.yaml")
        XCTAssertEqual(fc.optimizer.momentum, 0.5)
        XCTAssertEqual(fc.modelParameters, ["n_hidden": .int(8)])
    }

    // MARK: Overrides

    func testNestedOverrides() throws {
        let yaml = "optimizer: {name: sgd, lr: 0.1, momentum: 0.9}\ndataset: cifar10\n"
        let config = try resolve(yaml, ["optimizer.lr=0.05", "dataset.normalize=false", "epochs=3", "dataset.random_crop.padding=2"])
        XCTAssertEqual(config.optimizer.learningRate, 0.05)
        XCTAssertEqual(config.optimizer.momentum, 0.9)
        XCTAssertEqual(config.dataset, .builtIn(.cifar10))
        XCTAssertFalse(config.normalize)
        XCTAssertEqual(config.epochs, 3)
        XCTAssertEqual(config.transforms, [.randomCrop(size: 32, padding: 2)])
        // Into an absent section: the rest keeps its defaults (SGD with momentum 0.9).
        let defaults = try TrainingConfig.defaults(overrides: ["optimizer.lr=0.05"])
        XCTAssertEqual(defaults.optimizer.momentum, 0.9)
        XCTAssertEqual(defaults.optimizer.learningRate, 0.05)
        // A later override wins.
        XCTAssertEqual(try resolve("", ["epochs=2", "epochs=4"]).epochs, 4)
        XCTAssertEqual(try resolve("", ["optimizer.betas=[0.5, 0.6]", "optimizer.name=adam"]).optimizer.beta1, 0.5)
    }

    func testShorthandOverrideKeepsOnlySettingsTheNewNameTakes() throws {
        let yaml = "optimizer: {name: sgd, lr: 0.1, momentum: 0.9, weight_decay: 0.001}\n"
        let adam = try resolve(yaml, ["optimizer=adam"]).optimizer
        XCTAssertEqual(adam.name, .adam)
        XCTAssertEqual(adam.learningRate, 0.1)
        XCTAssertEqual(adam.weightDecay, 0.001)
        XCTAssertEqual(adam.momentum, 0)
        // A nested override over a bare name extends it.
        let extended = try resolve("optimizer: adam\n", ["optimizer.lr=0.01"]).optimizer
        XCTAssertEqual([extended.learningRate, extended.beta1], [0.01, 0.9])
        XCTAssertEqual(extended.name, .adam)
        // Schedules keep the settings they share; datasets keep everything.
        XCTAssertEqual(try resolve("schedule: {name: cosine, t_max: 4, eta_min: 0.1}", ["schedule=warmup_cosine", "schedule.warmup_epochs=1"]).schedule,
                       .warmupCosine(warmupEpochs: 1, startFactor: 0.1, maximumEpochs: 4, minimum: 0.1))
        let dataset = try resolve("dataset: {name: mnist, normalize: false, hflip: true}", ["dataset=fashion-mnist"])
        XCTAssertEqual(dataset.dataset, .builtIn(.fashionMNIST))
        XCTAssertFalse(dataset.normalize)
        XCTAssertEqual(dataset.transforms, [.horizontalFlip])
    }

    func testModelParameterOverrides() throws {
        let config = try resolve("model: {name: fc2layer, n_hidden: 8}\n", ["model.n_hidden=16"])
        XCTAssertEqual(config.model, "fc2layer")
        XCTAssertEqual(config.modelParameters, ["n_hidden": .int(16)])
        XCTAssertEqual(try resolve("model: cnn\n", ["model.n_feature=12"]).modelParameters, ["n_feature": .int(12)])
        // Another model drops the parameters of the old one; the same model keeps them.
        XCTAssertEqual(try resolve("model: {name: fc2layer, n_hidden: 8}\n", ["model=cnn"]).modelParameters, [:])
        XCTAssertEqual(try resolve("model: {name: fc2layer, n_hidden: 8}\n", ["model=fc2layer"]).modelParameters, ["n_hidden": .int(8)])
        let round = try resolve("", ["model=cnn", "model.n_feature=12"])
        XCTAssertTrue(round.resolvedYAML.contains("model: {name: cnn, n_feature: 12}"), round.resolvedYAML)
        XCTAssertEqual(try resolve(round.resolvedYAML), round)
    }

    func testModelParametersKeepTheirYAMLType() throws {
        let config = try resolve("model: {name: tiny.yaml, p: 0.5, h: 20, bias: false, word: many}\n", ["model.q=1e-3"])
        XCTAssertEqual(config.modelParameters, ["p": .double(0.5), "h": .int(20), "bias": .bool(false), "word": .string("many"), "q": .double(0.001)])
        XCTAssertTrue(config.resolvedYAML.contains("model: {name: tiny.yaml, bias: false, h: 20, p: 0.5, q: 0.001, word: many}"), config.resolvedYAML)
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
        // Quoted digits are text, and are written back quoted.
        let quoted = try resolve("model: {name: tiny.yaml, h: \"16\"}\n")
        XCTAssertEqual(quoted.modelParameters, ["h": .string("16")])
        XCTAssertEqual(try resolve(quoted.resolvedYAML), quoted)
    }

    func testResolvedYAMLQuotesTextThatNeedsIt() throws {
        let config = try resolve("name: quoted\ndataset: {data_dir: \"my data: #1\"}\nmodel: {name: lenet, flag: \"null\"}\n")
        XCTAssertEqual(config.dataDirectory, "my data: #1")
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
    }

    // MARK: Compare

    func testCompareMergesDefaultsUnderRuns() throws {
        let runs = try CompareConfig.resolve(text: """
            defaults:
              dataset: {name: fashion-mnist, normalize: false}
              optimizer: {name: sgd, lr: 0.01, momentum: 0.5}
              epochs: 2
            runs:
              - {name: a, optimizer: {lr: 0.1}}
              - {name: b, optimizer: adam, dataset: {hflip: true}, epochs: 3}
              - {name: c, dataset: mnist}
            """, file: "cmp.yaml", overrides: ["batch_size=16"])
        XCTAssertEqual(runs.map(\.name), ["a", "b", "c"])
        XCTAssertEqual(runs[0].optimizer.learningRate, 0.1)
        XCTAssertEqual(runs[0].optimizer.momentum, 0.5)
        XCTAssertEqual(runs[0].dataset, .builtIn(.fashionMNIST))
        XCTAssertEqual(runs[1].optimizer.name, .adam)
        XCTAssertEqual(runs[1].optimizer.learningRate, 0.01)
        XCTAssertFalse(runs[1].normalize)
        XCTAssertEqual(runs[1].transforms, [.horizontalFlip])
        XCTAssertEqual(runs.map(\.epochs), [2, 3, 2])
        // A bare name replaces the dataset, keeping its settings.
        XCTAssertEqual(runs[2].dataset, .builtIn(.mnist))
        XCTAssertFalse(runs[2].normalize)
        XCTAssertEqual(runs.map(\.batchSize), [16, 16, 16])
    }

    func testShippedCompareFile() throws {
        let runs = try CompareConfig.load(path: Self.configsFolder.appendingPathComponent("fc_vs_cnn.yaml").path, overrides: [])
        XCTAssertEqual(runs.map(\.name), ["fc2layer", "cnn", "fc2layer_permuted", "cnn_permuted"])
        XCTAssertEqual(runs.map(\.transforms), [[], [], [.permutePixels(seed: 1)], [.permutePixels(seed: 1)]])
        XCTAssertEqual(runs.map(\.model), ["fc2layer", "cnn", "fc2layer", "cnn"])
        XCTAssertTrue(runs.allSatisfy { $0.optimizer.momentum == 0.5 && $0.epochs == 1 && $0.batchSize == 64 && $0.dataset == .builtIn(.mnist) })
    }

    func testPlainConfigIsOneCompareRun() throws {
        let runs = try CompareConfig.resolve(text: "model: cnn\n", file: "configs/one.yaml", overrides: [])
        XCTAssertEqual(runs.map(\.name), ["one"])
    }

    // MARK: Errors

    func testFolderDatasetsFromAMappingOrAnExistingPathRoundTrip() throws {
        let config = try resolve("dataset: {name: folder, path: pictures, size: [32, 24], channels: 3, test_fraction: 0.1, hflip: true}\n")
        XCTAssertEqual(config.dataset, .folder(ImageFolderSettings(path: "pictures", size: [32, 24], channels: 3, testFraction: 0.1)))
        XCTAssertEqual(config.transforms, [.horizontalFlip])
        XCTAssertTrue(config.resolvedYAML.contains("dataset: {name: folder, path: pictures, size: [32, 24], channels: 3, test_fraction: 0.1,"), config.resolvedYAML)
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
        // `--dataset PATH` of an existing folder, over a config's dataset, keeps the config's folder settings.
        let folder = NSTemporaryDirectory()
        let overridden = try resolve("dataset: {name: mnist, normalize: false}\n", ["dataset=\(folder)", "dataset.size=[28, 28]"])
        XCTAssertEqual(overridden.dataset, .folder(ImageFolderSettings(path: folder, size: [28, 28])))
        XCTAssertFalse(overridden.normalize)
    }

    func testFolderSettingsErrors() {
        expectError("dataset: {name: folder, size: [28, 28]}\n", line: 1, "a folder dataset needs `path`")
        expectError("dataset: {name: folder, path: p, size: [28]}\n", line: 1, "`size` is [HEIGHT, WIDTH]")
        expectError("dataset: {name: folder, path: p, channels: 2}\n", line: 1, "`channels` is 1 (gray) or 3 (RGB), not 2")
        expectError("dataset: {name: folder, path: p, test_fraction: 1.5}\n", line: 1, "`dataset.test_fraction` must be a number between 0 and 1")
        expectError("dataset: {name: mnist, size: [28, 28]}\n", line: 1, "`size` belongs to a folder dataset, not to mnist")
        expectError("dataset: no/such/folder\n", line: 1, "unknown dataset `no/such/folder`", hint: "existing folder")
    }

    /// `precision:` defaults to fp32, which resolvedYAML leaves out (older run folders read the same); others round-trip.
    func testPrecision() throws {
        XCTAssertEqual(try resolve("model: lenet\n").precision, .fp32)
        XCTAssertFalse(try resolve("model: lenet\n").resolvedYAML.contains("precision"))
        let config = try resolve("model: lenet\nprecision: bf16\n")
        XCTAssertEqual(config.precision, .bf16)
        XCTAssertTrue(config.resolvedYAML.contains("precision: bf16"), config.resolvedYAML)
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
        XCTAssertEqual(try resolve(config.resolvedYAML, ["precision=auto"]).precision, .auto)
        expectError("precision: bf61\n", line: 1, "unknown precision `bf61`", hint: "did you mean `bf16`?")
    }

    func testReplicas() throws {
        XCTAssertNil(try resolve("model: lenet-bn\n").replicas)
        XCTAssertFalse(try resolve("model: lenet-bn\n").resolvedYAML.contains("replicas"), "unset: the trainer chooses")
        let config = try resolve("model: lenet-bn\nreplicas: 2\n")
        XCTAssertEqual(config.replicas, 2)
        XCTAssertTrue(config.resolvedYAML.contains("\nreplicas: 2\n"), config.resolvedYAML)
        XCTAssertEqual(try resolve(config.resolvedYAML), config)
        XCTAssertEqual(try resolve("replicas: 2\n", ["replicas=1"]).replicas, 1, "the flag overrides the file")
        expectError("epochs: 2\nreplicas: 0\n", line: 2, "`replicas` must be")
        expectError("replicas: 257\n", line: 1, "`replicas` must be")
        expectError(nil, ["replicas=two"], place: "--set replicas=two", "`replicas` must be a whole number")
    }

    func testUnknownTopLevelKeySuggestsNearest() {
        expectError("model: lenet\nepoch: 3\n", line: 2, "a training config has no key `epoch`", hint: "did you mean `epochs`?")
    }

    func testUnknownNestedKey() {
        expectError("optimizer:\n  name: adam\n  momentum: 0.9\n", line: 3, "the adam optimizer has no key `momentum`")
        expectError("dataset: {name: mnist, hlfip: true}\n", line: 1, "`dataset` has no key `hlfip`", hint: "did you mean `hflip`?")
        expectError("dataset: {random_crop: {size: 28, pading: 2}}\n", line: 1, "`random_crop` has no key `pading`", hint: "`padding`")
    }

    func testWrongTypes() {
        expectError("epochs: three\n", line: 1, "`epochs` must be a whole number, not the text \"three\"")
        expectError("seed: 0\nbatch_size: [64]\n", line: 2, "`batch_size` must be a whole number, not a list")
        expectError("dataset: {normalize: 1}\n", line: 1, "`dataset.normalize` must be true or false, not the number 1")
        expectError("optimizer: {name: adam, betas: 0.9}\n", line: 1, "`optimizer.betas` must be a list")
        expectError("[1, 2]\n", line: 1, "the top level of a training config must be a mapping")
    }

    func testOutOfRangeNumbers() {
        expectError("epochs: 0\n", line: 1, "`epochs` must be at least 1, not 0")
        expectError("\nbatch_size: -4\n", line: 2, "`batch_size` must be at least 1, not -4")
        expectError("optimizer: {name: sgd, lr: 0}\n", line: 1, "`optimizer.lr` must be a number greater than 0, not the number 0")
        expectError("optimizer:\n  momentum: 1.0\n", line: 2, "`optimizer.momentum` must be a number in [0, 1)")
        expectError("optimizer: {name: adam, betas: [0.9, 1.5]}\n", line: 1, "must be a number in [0, 1), not the number 1.5")
        expectError("optimizer: {name: adam, betas: [0.9]}\n", line: 1, "must be two numbers")
    }

    func testNesterovWithoutMomentum() {
        expectError("optimizer:\n  name: sgd\n  nesterov: true\n", line: 3, "nesterov momentum needs `momentum` greater than 0", hint: "momentum: 0.9")
    }

    func testUnknownNamesSuggestNearest() {
        expectError("optimizer: adma\n", line: 1, "unknown optimizer `adma`", hint: "did you mean `adam`?")
        expectError("schedule: {name: cosin}\n", line: 1, "unknown schedule `cosin`", hint: "did you mean `cosine`?")
        expectError("\n\ndataset: cifar-11\n", line: 3, "unknown dataset `cifar-11`", hint: "did you mean")
        expectError("loss: cross_entropi\n", line: 1, "unknown loss `cross_entropi`", hint: "did you mean `cross_entropy`?")
    }

    func testBadSchedules() {
        expectError("schedule: {name: multistep, milestones: [5, 3]}\n", line: 1, "`milestones` must increase, but 3 follows 5")
        expectError("schedule:\n  name: step\n  gamma: 0.5\n", line: 2, "the step schedule needs `step_size`")
        expectError("schedule: {t_max: 3}\n", line: 1, "`schedule` needs a `name`")
        expectError("schedule: {name: cosine, step_size: 3}\n", line: 1, "the cosine schedule has no key `step_size`")
    }

    func testBadRunName() {
        expectError("name: my run\n", line: 1, "`name` names the run folder")
        expectError("name: ../up\n", line: 1, "`name` names the run folder")
    }

    func testBadOverrides() {
        expectError("model: lenet\n", ["optimizer.lr=abc"], place: "--set optimizer.lr=abc",
                    "`optimizer.lr` must be a number greater than 0, not the text \"abc\"")
        expectError("", ["epoch=3"], place: "--set epoch=3", "a training config has no key `epoch`", hint: "did you mean `epochs`?")
        expectError("", ["epochs"], place: "--set epochs", "a setting must have the form `key=value`")
        expectError("", ["optimizer..lr=1"], place: "--set optimizer..lr=1", "is not a key")
        expectError(nil, ["epochs=0"], place: "--set epochs=0", "`epochs` must be at least 1, not 0")
        expectError(nil, ["optimizer=adam", "optimizer.momentum=0.9"], place: "--set optimizer.momentum=0.9",
                    "the adam optimizer has no key `momentum`")
        expectError("", ["dataset=imagenet"], place: "--set dataset=imagenet", "unknown dataset `imagenet`")
        expectError("", ["epochs="], place: "--set epochs=", "`epochs` has no value")
        expectError("", ["name=[a"], place: "--set name=[a", "YAML syntax error")
    }

    func testCompareErrors() {
        expectError("runs:\n  - {name: a}\n  - {name: b}\n  - {name: a, epochs: 2}\n", line: 4, "two runs are named `a` (runs 1 and 3)", compare: true)
        expectError("runs:\n  - {name: a}\n  - {epochs: 2}\n", line: 3, "run 2 has no `name`", compare: true)
        expectError("defaults: {epochs: 2}\nrun:\n  - {name: a}\n", line: 2, "a compare file has no key `run`", hint: "`runs`", compare: true)
        expectError("runs: []\n", line: 1, "`runs` is empty", compare: true)
        expectError("defaults: {epochs: 0}\nruns:\n  - {name: a}\n", line: 1, "`epochs` must be at least 1", compare: true)
        expectError("runs:\n  - {name: a}\n  - {name: b}\n", ["name=x"], place: "--set name=x", "every run would have the same name", compare: true)
    }

    func testMissingFile() {
        XCTAssertThrowsError(try TrainingConfig.load(path: "/no/such/config.yaml", overrides: [])) { error in
            XCTAssertEqual("\(error)", "/no/such/config.yaml: error: cannot read the training config\n  hint: no file exists at this path")
        }
    }
}

/// The flat view of an optimizer's settings that the assertions above read; a setting the optimizer
/// does not take reads as 0 (Adam has no momentum).
extension OptimizerConfig {
    private var sgd: SGD.Settings? { settings as? SGD.Settings }
    private var adam: Adam.Settings? { settings as? Adam.Settings ?? (settings as? AdamW.Settings)?.adam }

    var momentum: Double { sgd?.momentum ?? 0 }
    var weightDecay: Double { sgd?.weightDecay ?? adam?.weightDecay ?? 0 }
    var beta1: Double { adam?.beta1 ?? 0 }
    var beta2: Double { adam?.beta2 ?? 0 }
    var epsilon: Double { adam?.epsilon ?? 0 }
}
