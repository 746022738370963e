import Foundation

/// Which part of a data set.
public enum DataSplit: String, Sendable, CaseIterable {
    case train, test
}

/// Where `repro data fetch` puts data sets: `$REPRO_DATA`, else `~/.cache/repro/data`.
public enum DataRoot {
    public static var path: String {
        if let p = ProcessInfo.processInfo.environment["REPRO_DATA"], !p.isEmpty { return p }
        return FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/repro/data"
    }
}

/// A labelled image set held in memory as uint8 pixels, NCHW (channel planes per image).
public struct LabeledImages: Sendable {
    /// count × channels × height × width bytes.
    public let images: [UInt8]
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// One class index per image, in 0..<classNames.count.
    public let labels: [Int]
    public let classNames: [String]

    public init(images: [UInt8], count: Int, channels: Int, height: Int, width: Int,
                labels: [Int], classNames: [String]) {
        precondition(images.count == count * channels * height * width,
                     "LabeledImages: \(images.count) bytes for \(count)×\(channels)×\(height)×\(width)")
        precondition(labels.count == count, "LabeledImages: \(labels.count) labels for \(count) images")
        self.images = images
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.labels = labels
        self.classNames = classNames
    }

    /// Bytes per image.
    public var imageSize: Int { channels * height * width }

    /// Images `indices` as a float tensor [n, C, H, W] normalised per channel as
    /// (x/255 − mean[c]) / std[c] (torchvision's ToTensor then Normalize), and their labels.
    /// `mean` and `std` hold one value per channel, or one for all.
    public func batch(indices: [Int], mean: [Float] = [0], std: [Float] = [1]) -> (x: Tensor, y: [Int]) {
        precondition(mean.count == 1 || mean.count == channels, "batch: \(mean.count) means for \(channels) channels")
        precondition(std.count == 1 || std.count == channels, "batch: \(std.count) stds for \(channels) channels")
        // A 256-entry table per channel gives the formula's exact float for every byte value.
        let table = Tensor(uninitializedShape: [channels, 256])
        for c in 0..<channels {
            let m = mean.count == 1 ? mean[0] : mean[c], s = std.count == 1 ? std[0] : std[c]
            for v in 0..<256 { table.data[c * 256 + v] = (Float(v) / 255 - m) / s }
        }
        let x = Tensor(uninitializedShape: [indices.count, channels, height, width])
        var y = [Int](repeating: 0, count: indices.count)
        for (i, j) in indices.enumerated() {
            precondition(j >= 0 && j < count, "batch: index \(j) out of 0..<\(count)")
            y[i] = labels[j]
        }
        images.withUnsafeBufferPointer { src in
            indices.withUnsafeBufferPointer { idx in
                LabeledImages.gather(src.baseAddress!, idx.baseAddress!, indices.count, channels,
                                     height * width, table.data, x.data)
            }
        }
        return (x, y)
    }

    @inline(never)
    private static func gather(_ src: UnsafePointer<UInt8>, _ idx: UnsafePointer<Int>, _ n: Int,
                               _ channels: Int, _ plane: Int, _ table: UnsafePointer<Float>,
                               _ out: UnsafeMutablePointer<Float>) {
        Threads.pool.parallelFor(n * channels, grain: max(1, (1 << 15) / max(plane, 1))) { r in
            for p in r {
                let (i, c) = p.quotientAndRemainder(dividingBy: channels)
                let s = src + (idx[i] * channels + c) * plane
                let t = table + c * 256
                let o = out + p * plane
                for k in 0..<plane { o[k] = t[Int(s[k])] }
            }
        }
    }

    /// Images `range` (no shuffling: the first ones of a split are what they are).
    public func subset(_ range: Range<Int>) -> LabeledImages {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "subset \(range) of \(count) images")
        let sz = imageSize
        return LabeledImages(images: Array(images[range.lowerBound * sz..<range.upperBound * sz]),
                             count: range.count, channels: channels, height: height, width: width,
                             labels: Array(labels[range]), classNames: classNames)
    }

    /// The first `n` images (all of them if there are fewer).
    public func subset(_ n: Int) -> LabeledImages { subset(0..<min(max(n, 0), count)) }

    /// Images `indices`, in that order (e.g. a class-balanced or shuffled selection).
    public func subset(indices: [Int]) -> LabeledImages {
        let sz = imageSize
        var out = [UInt8]()
        out.reserveCapacity(indices.count * sz)
        for j in indices {
            precondition(j >= 0 && j < count, "subset: index \(j) out of 0..<\(count)")
            out.append(contentsOf: images[j * sz..<(j + 1) * sz])
        }
        return LabeledImages(images: out, count: indices.count, channels: channels, height: height,
                             width: width, labels: indices.map { labels[$0] }, classNames: classNames)
    }

    /// How many images each class has.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: max(classNames.count, (labels.max() ?? -1) + 1))
        for l in labels { counts[l] += 1 }
        return counts
    }
}

/// Loaders for MNIST-format IDX pairs.
enum IDXPair {
    /// `{prefix}-images-idx3-ubyte[.gz]` and `{prefix}-labels-idx1-ubyte[.gz]` in `directory`.
    static func load(directory: String, prefix: String, classNames: [String], hint: String) throws -> LabeledImages {
        let imagesPath = pick(directory + "/\(prefix)-images-idx3-ubyte")
        let labelsPath = pick(directory + "/\(prefix)-labels-idx1-ubyte")
        let im = try IDX.readImages(imagesPath, missingHint: hint)
        let lb = try IDX.readLabels(labelsPath, missingHint: hint)
        guard lb.count == im.count else {
            throw DataError.malformed(path: labelsPath, detail: "\(lb.count) labels for \(im.count) images in \(imagesPath)")
        }
        if let bad = lb.first(where: { Int($0) >= classNames.count }) {
            throw DataError.malformed(path: labelsPath, detail: "label \(bad) is not below \(classNames.count)")
        }
        return LabeledImages(images: im.images, count: im.count, channels: 1, height: im.rows, width: im.cols,
                             labels: lb.map { Int($0) }, classNames: classNames)
    }

    /// The .gz file if it exists, else the plain one (whose absence the error then names).
    static func pick(_ base: String) -> String {
        FileManager.default.fileExists(atPath: base + ".gz") ? base + ".gz" : base
    }
}

/// Fashion-MNIST (Xiao et al. 2017): 60,000 + 10,000 grey 28×28 images of 10 clothing classes.
public enum FashionMNIST {
    public static let classNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    /// Where Debian's `dataset-fashion-mnist` installs the files.
    public static let defaultDirectory = "/usr/share/datasets/fashion-mnist"

    public static func load(split: DataSplit, directory: String = defaultDirectory) throws -> LabeledImages {
        try IDXPair.load(directory: directory, prefix: split == .train ? "train" : "t10k",
                         classNames: classNames,
                         hint: "install it with `apt-get install dataset-fashion-mnist` (or run scripts/setup)")
    }
}

/// MNIST (LeCun et al. 1998): 60,000 + 10,000 grey 28×28 handwritten digits.
public enum MNIST {
    public static let classNames = (0..<10).map(String.init)
    public static var defaultDirectory: String { DataRoot.path + "/mnist" }

    public static func load(split: DataSplit, directory: String = defaultDirectory) throws -> LabeledImages {
        try IDXPair.load(directory: directory, prefix: split == .train ? "train" : "t10k",
                         classNames: classNames, hint: "get it with `repro data fetch mnist`")
    }
}

/// Reads CIFAR binary batches: records of `labelBytes` label bytes then 3072 pixel bytes
/// (R, G, B planes of 32×32, row-major), keeping label byte `labelIndex`.
enum CIFARBinary {
    static let imageBytes = 3 * 32 * 32

    static func read(files: [String], labelBytes: Int, labelIndex: Int, classNames: [String],
                     hint: String) throws -> LabeledImages {
        let record = labelBytes + imageBytes
        var images = [UInt8]()
        var labels = [Int]()
        for path in files {
            let bytes = try Gzip.readFile(path, missingHint: hint)
            guard bytes.count % record == 0, !bytes.isEmpty else {
                let whole = bytes.count / record
                throw DataError.shortFile(path: path, expected: (whole + 1) * record, actual: bytes.count)
            }
            let n = bytes.count / record
            images.reserveCapacity(images.count + n * imageBytes)
            labels.reserveCapacity(labels.count + n)
            try bytes.withUnsafeBufferPointer { b in
                for r in 0..<n {
                    let rec = r * record
                    let label = Int(b[rec + labelIndex])
                    guard label < classNames.count else {
                        throw DataError.malformed(path: path, detail: "record \(r) has label \(label), not below \(classNames.count)")
                    }
                    labels.append(label)
                    images.append(contentsOf: b[(rec + labelBytes)..<(rec + record)])
                }
            }
        }
        return LabeledImages(images: images, count: labels.count, channels: 3, height: 32, width: 32,
                             labels: labels, classNames: classNames)
    }

    /// `directory/sub` if that folder exists (the tarball's layout), else `directory` itself.
    static func resolve(_ directory: String, _ sub: String) -> String {
        var isDir: ObjCBool = false
        let nested = directory + "/" + sub
        return FileManager.default.fileExists(atPath: nested, isDirectory: &isDir) && isDir.boolValue ? nested : directory
    }

    /// Non-empty lines of a names file, or `fallback` when the file is absent.
    static func names(_ path: String, fallback: [String]) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return fallback }
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        return lines.count == fallback.count ? lines : fallback
    }
}

/// CIFAR-10 (Krizhevsky 2009), binary version: 50,000 + 10,000 colour 32×32 images, 10 classes.
public enum CIFAR10 {
    public static let classNames = ["airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"]
    /// Holds `cifar-10-batches-bin/` (or is that folder).
    public static var defaultDirectory: String { DataRoot.path + "/cifar10" }

    public static func load(split: DataSplit, directory: String = defaultDirectory) throws -> LabeledImages {
        let dir = CIFARBinary.resolve(directory, "cifar-10-batches-bin")
        let files = split == .train ? (1...5).map { "\(dir)/data_batch_\($0).bin" } : ["\(dir)/test_batch.bin"]
        return try CIFARBinary.read(files: files, labelBytes: 1, labelIndex: 0,
                                    classNames: CIFARBinary.names(dir + "/batches.meta.txt", fallback: classNames),
                                    hint: "get it with `repro data fetch cifar10`")
    }
}

/// CIFAR-100 (Krizhevsky 2009), binary version: 50,000 + 10,000 colour 32×32 images, 100
/// fine classes (the coarse superclass label is read past).
public enum CIFAR100 {
    /// Holds `cifar-100-binary/` (or is that folder).
    public static var defaultDirectory: String { DataRoot.path + "/cifar100" }

    public static func load(split: DataSplit, directory: String = defaultDirectory) throws -> LabeledImages {
        let dir = CIFARBinary.resolve(directory, "cifar-100-binary")
        let file = "\(dir)/\(split == .train ? "train" : "test").bin"
        let fallback = (0..<100).map { "class \($0)" }
        return try CIFARBinary.read(files: [file], labelBytes: 2, labelIndex: 1,
                                    classNames: CIFARBinary.names(dir + "/fine_label_names.txt", fallback: fallback),
                                    hint: "get it with `repro data fetch cifar100`")
    }
}
