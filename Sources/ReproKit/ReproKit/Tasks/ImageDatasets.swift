import Foundation

/// The image data sets a classification plugin can name in its config, loaded by one shared
/// switch so that every plugin accepts the same names and says the same thing about a bad one.
public enum ImageDatasets {
    /// The names `load` accepts.
    public static let names = ["fashion-mnist", "mnist", "cifar10", "synthetic-28x28x1", "synthetic-32x32x3"]

    /// Train and test splits of `name`, optionally cut to their first `trainSubset` /
    /// `testSubset` images (0: all). `synthetic-HxWxC` is random pixels and labels (4096 + 512
    /// images), for `repro bench` on a shape without the data set; drawn from `rng`.
    public static func load(_ name: String, trainSubset: Int = 0, testSubset: Int = 0,
                            rng: RNG) throws -> (train: LabeledImages, test: LabeledImages) {
        var train: LabeledImages, test: LabeledImages
        switch name {
        case "fashion-mnist":
            train = try FashionMNIST.load(split: .train); test = try FashionMNIST.load(split: .test)
        case "mnist":
            train = try MNIST.load(split: .train); test = try MNIST.load(split: .test)
        case "cifar10":
            train = try CIFAR10.load(split: .train); test = try CIFAR10.load(split: .test)
        case "synthetic-28x28x1":
            (train, test) = synthetic(channels: 1, size: 28, rng: rng)
        case "synthetic-32x32x3":
            (train, test) = synthetic(channels: 3, size: 32, rng: rng)
        default:
            throw ConfigError.invalid("dataset must be one of " + names.map { "\"\($0)\"" }.joined(separator: ", ")
                                      + ", got \"\(name)\"")
        }
        if trainSubset > 0 { train = train.subset(trainSubset) }
        if testSubset > 0 { test = test.subset(testSubset) }
        return (train, test)
    }

    static func synthetic(channels: Int, size: Int, rng: RNG) -> (LabeledImages, LabeledImages) {
        var data = rng
        func random(_ n: Int, _ split: DataSplit) -> LabeledImages {
            LabeledImages(images: (0..<n * channels * size * size).map { _ in UInt8(truncatingIfNeeded: data.next()) },
                          count: n, channels: channels, height: size, width: size,
                          labels: (0..<n).map { _ in data.int(below: 10) }, classNames: (0..<10).map { "class \($0)" },
                          name: "synthetic-\(size)x\(size)x\(channels)", split: split.rawValue)
        }
        return (random(4096, .train), random(512, .test))
    }
}
