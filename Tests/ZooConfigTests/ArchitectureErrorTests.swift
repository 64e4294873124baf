import Foundation
import XCTest
import ZooConfig
import ZooCore

/// Every mistake in an architecture file is a ZooError with the file, line and column, in plain words,
/// and a "did you mean" for misspellings.
final class ArchitectureErrorTests: ArchitectureTestCase {
    // MARK: Values

    func testStringWhereANumberGoes() {
        expectError(layers("  - flatten\n  - linear: \"120\"\n"), line: 4, column: 13, "linear: `out` must be a whole number, not \"120\"")
    }

    func testBooleanWhereANumberGoes() {
        expectError(layers("  - conv2d: {out: 6, kernel: yes}\n"), line: 3, column: 30, "`kernel` must be a whole number or [height, width], not true")
    }

    func testZeroSize() {
        expectError(layers("  - conv2d: {out: 0, kernel: 5}\n"), line: 3, column: 19, "conv2d: `out` must be at least 1, not 0")
    }

    func testNegativeSize() {
        expectError(layers("  - flatten\n  - linear: -3\n"), line: 4, "linear: `out` must be at least 1, not -3")
    }

    func testHugeSizeIsRefused() {
        expectError(layers("  - flatten\n  - linear: 10000000000\n"), line: 4, "10000000000 is too large")
    }

    /// Fuzz/Regressions/Architecture/crash-base-60-integer-overflow.yaml: Yams trapped computing YAML 1.1 base-60 integers.
    func testBase60IntegersAreComputedWithoutOverflow() throws {
        expectError("222222222222222222:22\n", line: 1, "must be a mapping with `name:` and `layers:`, not the number 222222222222222222:22")
        expectError(layers("  - flatten\n  - linear: 1:0:0:0:0:0:0:0:0:0:0:0\n"), line: 4, "1:0:0:0:0:0:0:0:0:0:0:0 is too large")
        let expanded = try Architecture.parse(text: layers("  - flatten\n  - linear: 1:30\n"), file: "base60.yaml")
            .layers(numClasses: 10, inputChannels: 1, overrides: [:])
        XCTAssertEqual(expanded[1].arguments["out"]?.value, .int(90))
    }

    func testDropoutOutOfRange() {
        expectError(layers("  - dropout: 1.5\n"), line: 3, "dropout: `p` must be a number between 0.0 and 1.0, not 1.5")
    }

    func testMissingRequiredSetting() {
        expectError(layers("  - conv2d: {out: 6}\n"), line: 3, column: 5, "conv2d needs `kernel`")
    }

    // MARK: Names and suggestions

    func testUnknownLayerTypeSuggestsNearest() {
        expectError(layers("  - conv2d: {out: 6, kernel: 5}\n  - rleu\n"), line: 4, column: 5, "unknown layer type `rleu`", hint: "did you mean `relu`?")
    }

    func testUnknownLayerTypeInMappingSuggestsNearest() {
        expectError(layers("  - maxpool: 2\n"), line: 3, "unknown layer type `maxpool`", hint: "did you mean `maxpool2d`?")
    }

    func testUnknownKeySuggestsNearest() {
        expectError(layers("  - conv2d: {out: 6, kernal: 5}\n"), line: 3, column: 22, "conv2d has no setting `kernal`", hint: "did you mean `kernel`?")
    }

    func testUnknownTopLevelKeySuggestsNearest() {
        expectError("name: bad\nlayer:\n  - relu\n", line: 2, column: 1, "unknown top-level key `layer`", hint: "did you mean `layers`?")
    }

    func testUnknownParameterReferenceSuggestsNearest() {
        expectError("name: bad\nparams: {n_hidden: 8}\nlayers:\n  - flatten\n  - linear: n_hiden\n", line: 5, column: 13,
                    "unknown parameter `n_hiden`", hint: "did you mean `n_hidden`?")
    }

    func testUnknownNameInArithmetic() {
        expectError("name: bad\nparams: {n_feature: 6}\nlayers:\n  - conv2d: {out: 2 * n_featur, kernel: 3}\n", line: 4,
                    "unknown parameter `n_featur`", hint: "did you mean `n_feature`?")
    }

    func testInexactDivision() {
        expectError(layers("  - conv2d: {out: num_classes / 3, kernel: 3}\n"), line: 3, "is not a whole number (10 / 3)")
    }

    /// Unknown layer types and settings and wrong values are checked in one place, so an entry of an architecture file
    /// and a layer description built in code get the same message, place and hint.
    func testLayerChecksAreTheSameFromAFileAndFromCode() throws {
        let at = { (column: Int) in SourceLocation(file: "bad.yaml", line: 3, column: column) }
        func fromFile(_ entry: String) -> String {
            errorOf { _ = try Architecture.parse(text: self.layers("  - \(entry)\n"), file: "bad.yaml").layers(numClasses: 10, inputChannels: 1, overrides: [:]) }
        }
        func fromCode(_ description: LayerDescription) -> String { errorOf { _ = try LayerRegistry.makeLayer(description) } }
        XCTAssertEqual(fromFile("conv2e"), "bad.yaml:3:5: error: unknown layer type `conv2e`\n  hint: did you mean `conv2d`?")
        XCTAssertEqual(fromCode(LayerDescription(type: "conv2e", location: at(5))), fromFile("conv2e"))
        XCTAssertEqual(fromFile("linear: \"120\""), "bad.yaml:3:13: error: linear: `out` must be a whole number, not \"120\"")
        XCTAssertEqual(fromCode(LayerDescription(type: "linear", arguments: ["out": LayerArgument(.string("120"), at: at(13))], location: at(5))),
                       fromFile("linear: \"120\""))
        // The file's entry also takes `name` and `from`, which the list of what it takes says.
        XCTAssertEqual(fromFile("dropout: {q: 0.5}"),
                       "bad.yaml:3:15: error: dropout has no setting `q`; it takes `p`, `name`, `from`\n  hint: did you mean `p`?")
        XCTAssertEqual(fromCode(LayerDescription(type: "dropout", arguments: ["q": LayerArgument(.double(0.5), at: at(15))], location: at(5))),
                       "bad.yaml:3:15: error: dropout has no setting `q`; it takes `p`\n  hint: did you mean `p`?")
    }

    /// The layer list is expanded once, for the input it is built for, not first with stand-in dataset values: a
    /// list whole for 100 classes parses, builds for them, and is refused for 10 at the line that does not divide.
    func testLayerListIsExpandedForTheDatasetItIsBuiltFor() throws {
        let architecture = try Architecture.parse(text: layers("  - flatten\n  - linear: num_classes / 4\n  - linear: num_classes\n"), file: "bad.yaml")
        let shapes = try architecture.shapes(dataset: DatasetInput(name: "hundred", shape: Shape([3, 4, 4]), numClasses: 100))
        XCTAssertEqual(shapes.entries.map(\.outputShape), [Shape([48]), Shape([25]), Shape([100])])
        expectError(layers("  - flatten\n  - linear: num_classes / 4\n  - linear: num_classes\n"), line: 4, "is not a whole number (10 / 4)")
    }

    func testDuplicateLayerNames() {
        expectError(layers("  - conv2d: {name: conv1, out: 6, kernel: 3}\n  - conv2d: {name: conv1, out: 6, kernel: 3}\n"),
                    line: 4, "two layers are named `conv1`", hint: "the first is at bad.yaml:3:5", dataset: .mnist)
    }

    func testBadLayerName() {
        expectError(layers("  - conv2d: {name: 1st, out: 6, kernel: 3}\n"), line: 3, "a layer `name` must be a word")
    }

    func testSettingsNotIndentedUnderType() {
        expectError(layers("  - conv2d:\n    out: 6\n    kernel: 5\n"), line: 4, "the settings of `conv2d` are not indented under it")
    }

    func testBareValueForLayerWithoutPrimary() {
        expectError(layers("  - relu: 3\n"), line: 3, "relu takes no bare value", hint: "write it as `- relu`")
    }

    // MARK: Structure

    func testEmptyFile() {
        expectError("", line: 1, "the architecture file is empty")
    }

    func testOnlyComments() {
        expectError("# nothing here\n   # still nothing\n", line: 1, "the architecture file is empty (or holds only comments)")
    }

    func testTopLevelNotAMapping() {
        expectError("- relu\n- flatten\n", line: 1, "the top level of an architecture file must be a mapping with `name:` and `layers:`, not a list")
    }

    func testLayersNotAList() {
        expectError("name: bad\nlayers: {relu: 1}\n", line: 2, column: 9, "`layers` must be a list of layers")
    }

    func testEmptyLayers() {
        expectError("name: bad\nlayers: []\n", line: 2, "`layers` is empty")
    }

    func testMissingLayers() {
        expectError("name: bad\ndescription: no layers\n", line: 1, "the architecture has no `layers:` list")
    }

    func testMissingName() {
        expectError("layers: [relu]\n", line: 1, "the architecture has no `name:`")
    }

    func testParamsDefaultMustBeANumber() {
        expectError("name: bad\nparams:\n  n_hidden: lots\nlayers: [relu]\n", line: 3, column: 13,
                    "the default of parameter `n_hidden` must be a number or true/false")
    }

    func testDatasetNamesCannotBeParams() {
        expectError("name: bad\nparams: {num_classes: 3}\nlayers: [relu]\n", line: 2, "`num_classes` cannot be a parameter")
    }

    // MARK: YAML itself

    func testSyntaxErrorHasLibyamlLine() {
        expectError("name: bad\nlayers:\n  - conv2d: {out: 6, kernel: 5\n  - relu\n", line: 5, column: 1,
                    "YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at line 3, column 13)")
    }

    func testBadIndentationIsASyntaxError() {
        expectError("name: bad\nlayers:\n  - relu\n - flatten\n", line: 4, "YAML syntax error")
    }

    func testTabIndentation() {
        expectError("name: bad\nlayers:\n\t- relu\n", line: 3, column: 1, "a tab is used for indentation")
    }

    func testDuplicateKeys() {
        expectError("name: bad\nname: worse\nlayers: [relu]\n", line: 1, "the key `name` appears more than once")
    }

    func testTwoDocuments() {
        expectError("name: bad\nlayers: [relu]\n---\nname: second\n", line: 3, "more than one YAML document")
    }

    func testCustomTagsAreRefused() {
        expectError("name: bad\nlayers:\n  - !!python/object:os.system relu\n", line: 3, "the YAML tag `tag:yaml.org,2002:python/object:os.system` is not supported")
    }

    func testBillionLaughsIsRefusedByNodeCount() {
        var yaml = "name: bad\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            yaml += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        yaml += "layers: [relu]\n"
        let start = Date()
        expectError(yaml, line: 2, "the file expands to more than 100000 YAML values")
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testAliasesWithinLimitsWork() throws {
        let yaml = "name: ok\nlayers:\n  - conv2d: &c {out: 4, kernel: 3}\n  - relu\n  - conv2d: *c\n  - flatten\n  - linear: num_classes\n"
        XCTAssertEqual(try Architecture.parse(text: yaml, file: "ok.yaml").network(dataset: .mnist).parameterCount,
                       4 * 9 + 4 + 4 * 4 * 9 + 4 + 4 * 24 * 24 * 10 + 10)
    }

    func testDeepNestingIsRefused() {
        let yaml = "name: bad\nlayers: " + String(repeating: "[", count: 40) + "relu" + String(repeating: "]", count: 40) + "\n"
        expectError(yaml, line: 2, "more than 32 levels deep")
    }

    func testVeryDeepNestingIsRefusedWithoutCrashing() {
        let yaml = "name: bad\nlayers: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n"
        expectError(yaml, line: 2, "YAML syntax error")
    }

    func testVeryLargeFileIsRefused() {
        let yaml = "name: bad\nlayers:\n" + String(repeating: "  - relu\n", count: 150_000)
        expectError(yaml, line: 1, "architecture files may be at most 1000000 bytes")
    }

    // MARK: Blocks

    func testVGGBadCfgEntry() {
        expectError(layers("  - vgg: {cfg: [64, m, 128]}\n"), line: 3, column: 21, "vgg cfg entry 2 must be a channel count or `M`",
                    hint: "write `M` (capital)")
    }

    func testVGGZeroChannels() {
        expectError(layers("  - vgg: {cfg: [64, M, 0]}\n"), line: 3, "vgg cfg entry 3 must be a channel count or `M`")
    }

    func testVGGUnknownKey() {
        expectError(layers("  - vgg: {cfg: [64], batchnrom: true}\n"), line: 3, "vgg has no setting `batchnrom`", hint: "did you mean `batchnorm`?")
    }

    func testRepeatZeroTimes() {
        expectError(layers("  - repeat:\n      times: 0\n      layers: [relu]\n"), line: 4, column: 14, "repeat `times` must be at least 1, not 0")
    }

    func testRepeatNamesGetSuffixes() throws {
        let yaml = layers("  - repeat: {times: 2, layers: [{conv2d: {name: conv, out: 4, kernel: 3}}, relu]}\n")
        let layers = try Architecture.parse(text: yaml, file: "ok.yaml").layers(numClasses: 10, inputChannels: 1, overrides: [:])
        XCTAssertEqual(layers.map(\.name), ["conv_1", nil, "conv_2", nil])
    }

    // MARK: Shapes (from Network, at the layer's line)

    func testKernelTooBigExplainsArithmetic() {
        let yaml = layers("""
          - conv2d: {out: 6, kernel: 5}
          - maxpool2d: 2
          - conv2d: {out: 16, kernel: 5}
          - maxpool2d: 2
          - conv2d: {out: 16, kernel: 5}

        """)
        expectError(yaml, line: 7, column: 5,
                    "layer 4 (conv2d) a 5x5 kernel does not fit its 4x4 input; the network input 1x28x28 becomes 16x4x4 after layer 3 (maxpool2d)",
                    dataset: .mnist)
    }

    func testLinearWithoutFlatten() {
        expectError(layers("  - conv2d: {out: 6, kernel: 5}\n  - linear: 10\n"), line: 4,
                    "layer 1 (linear) needs flat features, but its input is the image 6x24x24", hint: "add `- flatten` before it", dataset: .mnist)
    }

    // MARK: Overrides

    func testSetUnknownKey() {
        expectError("name: bad\nparams: {n_hidden: 8}\nlayers: [flatten, {linear: n_hidden}]\n", line: nil,
                    "bad has no parameter `n_hiden`", hint: "did you mean `n_hidden`?", overrides: ["n_hiden": .int(3)])
    }

    func testSetNonNumber() {
        expectError("name: bad\nparams: {n_hidden: 8}\nlayers: [flatten, {linear: n_hidden}]\n", line: nil,
                    "`n_hidden` must be a whole number (its default is 8), not `many`", overrides: ["n_hidden": .string("many")])
    }

    func testSetValuesAreReadAsYAML() throws {
        XCTAssertEqual(Architecture.parameterValue(text: "16"), .int(16))
        XCTAssertEqual(Architecture.parameterValue(text: " 0.5 "), .double(0.5))
        XCTAssertEqual(Architecture.parameterValue(text: "true"), .bool(true))
        XCTAssertEqual(Architecture.parameterValue(text: "many"), .string("many"))
        XCTAssertEqual(Architecture.parameterValue(text: "[1, 2]"), .string("[1, 2]"))
        let architecture = try Architecture.parse(text: "name: net\nparams: {p: 0.5}\nlayers: [flatten, {dropout: p}, {linear: 2}]\n", file: "net.yaml")
        // A whole number is a number too.
        let layers = try architecture.layers(numClasses: 10, inputChannels: 1, overrides: ["p": .int(0)])
        XCTAssertEqual(layers[1].arguments["p"]?.value, .double(0))
    }

    func testSetNumClassesIsRefused() {
        expectError("name: bad\nlayers: [flatten, {linear: num_classes}]\n", line: nil,
                    "`num_classes` comes from the dataset", overrides: ["num_classes": .int(3)])
    }

    func testSetValueIsStillChecked() {
        expectError("name: bad\nparams: {n_hidden: 8}\nlayers: [flatten, {linear: n_hidden}]\n", line: 3, column: 28,
                    "linear: `out` must be at least 1, not 0", overrides: ["n_hidden": .int(0)])
    }

    // MARK: Registry and datasets

    func testUnknownArchitectureNameSuggestsNearest() {
        let registry = ArchitectureRegistry(workingDirectory: "/nonexistent-zoo-dir", environment: ["ZOO_PATH": "/also/missing"])
        XCTAssertThrowsError(try registry.architecture(named: "lenett")) { error in
            let error = error as! ZooError
            XCTAssertEqual(error.message, "no architecture named `lenett`")
            XCTAssertTrue(error.hint!.hasPrefix("did you mean `lenet`? Looked in ./zoo (/nonexistent-zoo-dir/zoo), ZOO_PATH /also/missing"), error.hint!)
        }
    }

    func testUnknownDatasetSuggestsNearest() {
        XCTAssertThrowsError(try DatasetInput.named("cifar-10x")) { error in
            XCTAssertEqual("\(error)", "error: unknown dataset `cifar-10x`\n  hint: did you mean `cifar10`? known datasets: mnist, fashion-mnist, cifar10, cifar100")
        }
        XCTAssertEqual(try DatasetInput.named("fashion_mnist").name, "fashion-mnist")
    }

    func testMissingFile() {
        XCTAssertThrowsError(try ArchitectureRegistry().architecture(named: "/no/such/net.yaml")) { error in
            XCTAssertEqual("\(error)", "/no/such/net.yaml: error: cannot read the architecture file\n  hint: no file exists at this path")
        }
    }
}
