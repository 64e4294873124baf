/// MNIST handwritten digits, 28x28 grey, in IDX files.
enum MNIST: IDXDataset {
    static let name = "mnist"
    static let defaultClassNames = (0 ..< 10).map(String.init)
    static let defaultNormalization = Normalization(mean: [0.1307], std: [0.3081])
    static let installHint = "run `zoo data fetch mnist`"
    // SHA-256 of each file's gunzipped content: the .gz files circulate recompressed, the images inside do not.
    static let download: DatasetDownload? = idxDownload(mirror: "https://ossci-datasets.s3.amazonaws.com/mnist/", checksums: [
        "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
    ])
}

extension DatasetName {
    public static let mnist = DatasetName(MNIST.self)
}
