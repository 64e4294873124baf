/// Fashion-MNIST: Zalando's clothing images in MNIST's format; Debian packages it as dataset-fashion-mnist.
enum FashionMNIST: IDXDataset {
    static let name = "fashion-mnist"
    static let defaultClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    static let defaultNormalization = Normalization(mean: [0.2860], std: [0.3530])
    static let installHint = "run `apt-get install dataset-fashion-mnist` or `zoo data fetch fashion-mnist`"
    static let systemFolders = ["/usr/share/datasets/fashion-mnist"]
    static let shortForms = ["fmnist", "fashion"]
    // SHA-256 of each file's gunzipped content, which Debian's package and the mirror share.
    static let download: DatasetDownload? = idxDownload(mirror: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", checksums: [
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ])
}

extension DatasetName {
    public static let fashionMNIST = DatasetName(FashionMNIST.self)
}
