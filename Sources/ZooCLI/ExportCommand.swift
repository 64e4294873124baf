import ArgumentParser
import Foundation
import ZooCore
import ZooData
import ZooTraining

/// `zoo export CHECKPOINT OUT.safetensors|OUT.onnx`: the trained model for PyTorch or any ONNX runtime.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a checkpoint as a PyTorch state_dict (.safetensors) or an ONNX model (.onnx).",
        discussion: """
            OUT.safetensors holds the weights and buffers under their PyTorch state_dict names (batchnorm's \
            num_batches_tracked included, no optimizer state): model.load_state_dict(safetensors.torch.load_file(OUT)) \
            accepts it with strict=True. OUT.onnx is the network in inference mode (opset \(ONNXModel.opsetVersion)): input \
            `input`, float32 [batch, C, H, W] with pixels in [0, 1]; the dataset normalisation is inside the graph; \
            the class names are in its metadata. A checkpoint from `zoo quantize` becomes, by default, its int8 plan in \
            QDQ form (int8 weights and QuantizeLinear/DequantizeLinear pairs); --precision fp32 exports its float32 \
            weights instead. See docs/export.md.
            """)

    @Argument(help: "A run folder (its best checkpoint), a checkpoint from one (last.safetensors, best.safetensors), or shipped weights by name (lenet@mnist).")
    var checkpoint: String
    @Argument(help: "The file to write; its extension (.safetensors or .onnx) chooses the format.") var output: String
    @Option(help: "For .onnx: int8 (the default for a checkpoint from `zoo quantize`; QuantizeLinear/DequantizeLinear) or fp32.")
    var precision: PrecisionSetting?

    func run() throws {
        let format = (output as NSString).pathExtension.lowercased()
        guard ["safetensors", "onnx"].contains(format) else {
            throw ZooError("cannot tell which format to export from the extension `\((output as NSString).pathExtension)`", place: output,
                           hint: "name the output OUT.safetensors (PyTorch state_dict) or OUT.onnx (ONNX model)")
        }
        let folder = (output as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.isEmpty ? "." : folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ZooError("the folder `\(folder)` does not exist", place: output, hint: "create it first (mkdir -p \(folder)) or write somewhere else")
        }
        let checkpoint = try resolveCheckpointPath(self.checkpoint)
        guard URL(fileURLWithPath: output).standardizedFileURL != URL(fileURLWithPath: checkpoint).standardizedFileURL else {
            throw ZooError("the output is the checkpoint itself", place: output, hint: "write the export to a new file")
        }
        let model = try RestoredModel(path: checkpoint)
        let int8 = try exportsInt8(model, format: format, checkpoint: checkpoint)
        let description = model.description
        let classNames = String(decoding: try JSONEncoder().encode(description.classNames), as: UTF8.self)
        var metadata = ["class_names": classNames, "dataset": description.dataset.name,
                        "input_shape": description.inputShape.description, "source_checkpoint": checkpoint]
        if format == "safetensors" {
            // "pt" is what safetensors.torch.save_file writes; no "format: zoo-checkpoint", so zoo eval refuses it.
            metadata["format"] = "pt"
            let file = try StateDict.file(network: model.network, metadata: metadata)
            try file.write(to: output)
            print("wrote \(output): \(file.tensors.count) tensors, a PyTorch state_dict "
                  + "(model.load_state_dict(safetensors.torch.load_file(\"\(output)\"), strict=True))")
            return
        }
        let normalization = description.normalization
        metadata["normalization"] = normalization.map { "mean \($0.mean), std \($0.std), applied inside the graph" } ?? "none"
        if !description.testTransforms.isEmpty {
            metadata["preprocessing"] = "apply \(description.testTransforms) to the images before the graph"
        }
        metadata["precision"] = int8 ? "int8 (QDQ: int8 weights, QuantizeLinear/DequantizeLinear activations)" : "fp32"
        let bytes = try ONNXModel.encode(network: model.network, quantization: int8 ? model.network.quantization : nil,
                                         mean: normalization?.mean, std: normalization?.std, metadata: metadata)
        try writeAtomically(Data(bytes), to: output)
        print("wrote \(output): ONNX opset \(ONNXModel.opsetVersion), \(int8 ? "int8 (QDQ)" : "fp32"), input `input` float32 [batch, \(description.inputShape.dimensions.map(String.init).joined(separator: ", "))] "
              + "with pixels in [0, 1], output `output` [batch, \(model.network.outputShape.elementCount)], \(byteSize(bytes.count))")
        if !description.testTransforms.isEmpty {
            print("note: the model was trained on images after \(description.testTransforms); the graph does not do this, so do it before")
        }
    }

    /// Whether the ONNX model is the int8 plan: asked for, else for a quantized checkpoint. A state_dict is float32.
    private func exportsInt8(_ model: RestoredModel, format: String, checkpoint: String) throws -> Bool {
        let quantized = model.network.quantization != nil
        switch precision ?? (quantized && format == "onnx" ? .int8 : .fp32) {
        case .fp32: return false
        case .int8 where format != "onnx":
            throw ZooError("a PyTorch state_dict holds float32 weights, so it cannot be exported in int8", place: output,
                           hint: "export OUT.onnx for the int8 model, or drop --precision int8")
        case .int8 where !quantized:
            throw ZooError("the checkpoint is not quantized, so it has no int8 model to export", place: checkpoint,
                           hint: "run `zoo quantize \(self.checkpoint) QUANTIZED.safetensors` and export that, or drop --precision int8")
        case .int8: return true
        case .bf16, .auto:
            throw ZooError("ONNX export writes fp32 or int8, not \(precision?.rawValue ?? "")", place: output, hint: "pass --precision fp32 or --precision int8")
        }
    }
}
