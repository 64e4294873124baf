/// CIFAR-100: 32x32 colour images of 100 fine classes; zoo does not download it (no checksum is known).
enum CIFAR100: CIFARDataset {
    static let name = "cifar100"
    static let format = CIFARFormat(
        labelBytes: 2, classCount: 100, trainFiles: ["train.bin"], testFiles: ["test.bin"],
        namesFile: "fine_label_names.txt", archiveFolder: "cifar-100-binary")
    static let defaultClassNames = (0 ..< 100).map { "class \($0)" }
    static let defaultNormalization = Normalization(mean: [0.5071, 0.4865, 0.4409], std: [0.2673, 0.2564, 0.2762])
    static let installHint = "download https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz and unpack it into DATA_DIR/cifar100/"
}

extension DatasetName {
    public static let cifar100 = DatasetName(CIFAR100.self)
}
