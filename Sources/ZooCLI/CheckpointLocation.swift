import ZooData

/// A checkpoint argument as a file path: a path as given, or `MODEL@DATASET` through the shipped weights'
/// manifest (its SHA-256 checked), wherever a command takes a checkpoint.
func resolveCheckpointPath(_ argument: String) throws -> String {
    try WeightsCatalog.resolve(argument)
}
