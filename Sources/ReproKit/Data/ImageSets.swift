import Foundation

/// Loaders for MNIST-format IDX pairs.
enum IDXPair {
    /// `{prefix}-images-idx3-ubyte[.gz]` and `{prefix}-labels-idx1-ubyte[.gz]` in `directory`.
    static func load(directory: String, prefix: String, classNames: [String], hint: String,
                     name: String, split: DataSplit) throws -> LabeledImages {
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
                             labels: lb.map { Int($0) }, classNames: classNames, name: name, split: split.rawValue)
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
                         hint: "install it with `apt-get install dataset-fashion-mnist` (or run scripts/setup)",
                         name: "fashion-mnist", split: split)
    }
}

/// MNIST (LeCun et al. 1998): 60,000 + 10,000 grey 28×28 handwritten digits.
public enum MNIST {
    public static let classNames = (0..<10).map(String.init)
    public static var defaultDirectory: String { DataRoot.path + "/mnist" }

    public static func load(split: DataSplit, directory: String = defaultDirectory) throws -> LabeledImages {
        try IDXPair.load(directory: directory, prefix: split == .train ? "train" : "t10k",
                         classNames: classNames, hint: "get it with `repro data fetch mnist`",
                         name: "mnist", split: split)
    }
}

/// Reads CIFAR binary batches: records of `labelBytes` label bytes then 3072 pixel bytes
/// (R, G, B planes of 32×32, row-major), keeping label byte `labelIndex`.
enum CIFARBinary {
    static let imageBytes = 3 * 32 * 32

    static func read(files: [String], labelBytes: Int, labelIndex: Int, classNames: [String],
                     hint: String, name: String, split: DataSplit) throws -> LabeledImages {
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
                             labels: labels, classNames: classNames, name: name, split: split.rawValue)
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
                                    hint: "get it with `repro data fetch cifar10`", name: "cifar10", split: split)
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
                                    hint: "get it with `repro data fetch cifar100`", name: "cifar100", split: split)
    }
}
