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
            the class names are in its metadata.
            """)

    @Argument(help: "A run folder (its best checkpoint), a checkpoint from one (last.safetensors, best.safetensors), or shipped weights by name (lenet@mnist).")
    var checkpoint: String
    @Argument(help: "The file to write; its extension (.safetensors or .onnx) chooses the format.") var output: String

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
        let bytes = try ONNXModel.encode(network: model.network, mean: normalization?.mean, std: normalization?.std, metadata: metadata)
        try writeAtomically(Data(bytes), to: output)
        print("wrote \(output): ONNX opset \(ONNXModel.opsetVersion), input `input` float32 [batch, \(description.inputShape.dimensions.map(String.init).joined(separator: ", "))] "
              + "with pixels in [0, 1], output `output` [batch, \(model.network.outputShape.elementCount)], \(byteSize(bytes.count))")
        if !description.testTransforms.isEmpty {
            print("note: the model was trained on images after \(description.testTransforms); the graph does not do this, so do it before")
        }
    }
}
