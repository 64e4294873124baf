import Foundation
import ZooCore
import ZooData

/// A checkpoint as a user names it wherever one is taken (`zoo eval`, `zoo export`, `zoo predict`): a .safetensors
/// file; a run folder, which means its best checkpoint (its last when it has no best); or `MODEL@DATASET`, the shipped
/// weights found through their manifest with the SHA-256 checked.
public func resolveCheckpointPath(_ given: String) throws -> String {
    if WeightsCatalog.isName(given) { return try WeightsCatalog.locate().path(for: given) }
    var isDirectory: ObjCBool = false
    // A missing or broken file is for `Checkpoint.read` to describe.
    guard FileManager.default.fileExists(atPath: given, isDirectory: &isDirectory), isDirectory.boolValue else { return given }
    for file in ["best.safetensors", "last.safetensors"] {
        let path = (given as NSString).appendingPathComponent(file)
        if FileManager.default.fileExists(atPath: path) { return path }
    }
    throw ZooError("the folder holds no best.safetensors or last.safetensors", place: given,
                   hint: "a run folder gets them at the end of its first epoch; give a run folder that has completed one, or a .safetensors file")
}

/// The run folder `--resume` continues: the folder given, or the folder of a checkpoint given in it
/// (`--resume RUN/best.safetensors` continues RUN from its last checkpoint).
public func resumedRunFolder(_ given: String) -> String {
    guard given.hasSuffix(".safetensors") else { return given }
    let folder = (given as NSString).deletingLastPathComponent
    return folder.isEmpty ? "." : folder
}
