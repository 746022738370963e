import Foundation

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
    /// The data set's registry name (e.g. "fashion-mnist"), for its description.
    public var name: String
    /// Which split this is ("train", "test"), for its description.
    public var split: String?

    public init(images: [UInt8], count: Int, channels: Int, height: Int, width: Int,
                labels: [Int], classNames: [String], name: String = "images", split: String? = nil) {
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
        self.name = name
        self.split = split
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
                             labels: Array(labels[range]), classNames: classNames, name: name, split: split)
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
                             width: width, labels: indices.map { labels[$0] }, classNames: classNames,
                             name: name, split: split)
    }

    /// How many images each class has.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: max(classNames.count, (labels.max() ?? -1) + 1))
        for l in labels { counts[l] += 1 }
        return counts
    }
}


/// An image set is a data set of (image, label) examples whose batches come from the
/// vectorised `batch(indices:mean:std:)` with pixels in [0, 1] (the image task normalises
/// through that path itself).
extension LabeledImages: Dataset {
    /// One image [C, H, W] with pixels in [0, 1], and its label.
    public typealias Example = (x: Tensor, y: Int)
    /// Images [B, C, H, W] with pixels in [0, 1], and their labels.
    public typealias Batch = (x: Tensor, y: [Int])

    public func example(at index: Int) -> Example {
        let b = batch(indices: [index])
        return (b.x.reshaped([channels, height, width]), b.y[0])
    }

    public func batch(_ indices: [Int]) -> Batch { batch(indices: indices) }

    /// E.g. "fashion-mnist train: 60000 examples, 28×28×1 images, 10 classes".
    public var datasetDescription: DatasetDescription {
        DatasetDescription(name: name, split: split, count: count,
                           example: "\(height)×\(width)×\(channels) images, \(classNames.count) classes")
    }
}
