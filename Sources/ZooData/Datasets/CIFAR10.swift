/// CIFAR-10: 32x32 colour images of ten classes, as the official binary batches.
enum CIFAR10: CIFARDataset {
    static let name = "cifar10"
    static let format = CIFARFormat(
        labelBytes: 1, classCount: 10, trainFiles: (1 ... 5).map { "data_batch_\($0).bin" }, testFiles: ["test_batch.bin"],
        namesFile: "batches.meta.txt", archiveFolder: "cifar-10-batches-bin")
    static let defaultClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    static let defaultNormalization = Normalization(mean: [0.4914, 0.4822, 0.4465], std: [0.2470, 0.2435, 0.2616])
    static let installHint = "run `zoo data fetch cifar10`"
    // The SHA-256 of cifar-10-binary.tar.gz; a download that differs is rejected.
    static let download: DatasetDownload? = DatasetDownload(mirror: "https://www.cs.toronto.edu/~kriz/", files: [RemoteFile(
        name: "cifar-10-binary.tar.gz", sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd", isArchive: true)])
}

extension DatasetName {
    public static let cifar10 = DatasetName(CIFAR10.self)
}
