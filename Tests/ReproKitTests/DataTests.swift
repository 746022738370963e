import Foundation
import XCTest
import ReproKit

final class DataTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("repro-data-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    private func write(_ name: String, _ bytes: [UInt8]) -> String {
        let path = dir + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    /// The message of the DataError `body` throws ("" if it throws none or another error).
    private func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as DataError { return e.description } catch { return "other: \(error)" }
        return ""
    }

    // MARK: gzip

    func testGzipRoundTripAndRawPassthrough() throws {
        var rng = RNG(seed: 1)
        // Compressible but not trivial: small alphabet.
        let bytes = (0..<100_000).map { _ in UInt8(rng.int(below: 7)) }
        let gz = Gzip.compress(bytes)
        XCTAssertEqual(Array(gz.prefix(2)), [0x1F, 0x8B])
        XCTAssertLessThan(gz.count, bytes.count / 2)
        XCTAssertEqual(try Gzip.readFile(write("a.gz", gz)), bytes)
        // Not gzip: returned as it is, whatever the name.
        XCTAssertEqual(try Gzip.readFile(write("b.gz", bytes)), bytes)
        XCTAssertEqual(try Gzip.readFile(write("empty", [])), [])
    }

    func testGzipMultipleMembersAndOutputGrowth() throws {
        // Two members read as one (like gunzip); the last member's size is a bad size hint,
        // so the output buffer must grow.
        let a = [UInt8](repeating: 3, count: 1_000_000), b: [UInt8] = [1, 2, 3]
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(a) + Gzip.compress(b, level: 1)), a + b)
    }

    func testTruncatedAndCorruptGzipErrors() throws {
        var rng = RNG(seed: 2)
        let gz = Gzip.compress((0..<50_000).map { _ in UInt8(rng.int(below: 256)) })
        let cut = write("cut.gz", Array(gz.prefix(gz.count / 2)))
        XCTAssertEqual(message { _ = try Gzip.readFile(cut) },
                       "truncated gzip file: \(cut) ends before the end of its compressed stream; "
                       + "delete it and download or install it again")
        // A flipped byte in the trailer's CRC-32.
        var bad = gz
        bad[bad.count - 6] ^= 0xFF
        let badPath = write("bad.gz", bad)
        let m = message { _ = try Gzip.readFile(badPath) }
        XCTAssertTrue(m.hasPrefix("corrupt gzip file: \(badPath) (incorrect data check)"), m)
        XCTAssertThrowsError(try Gzip.decompress(gz + [7, 7, 7]))
    }

    // MARK: IDX

    private func idxPair(count: Int, rows: Int, cols: Int, seed: UInt64) -> (images: [UInt8], labels: [UInt8]) {
        var rng = RNG(seed: seed)
        return ((0..<count * rows * cols).map { _ in UInt8(rng.int(below: 256)) },
                (0..<count).map { _ in UInt8(rng.int(below: 10)) })
    }

    func testIDXReadsRawAndGzipFiles() throws {
        let (images, labels) = idxPair(count: 5, rows: 3, cols: 4, seed: 3)
        let imageFile = IDX.encode(magic: IDX.imagesMagic, dims: [5, 3, 4], data: images)
        XCTAssertEqual(Array(imageFile.prefix(16)), [0, 0, 8, 3, 0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 4])
        let labelFile = IDX.encode(magic: IDX.labelsMagic, dims: [5], data: labels)
        for gz in [false, true] {
            let ip = write("i\(gz)", gz ? Gzip.compress(imageFile) : imageFile)
            let lp = write("l\(gz)", gz ? Gzip.compress(labelFile) : labelFile)
            let r = try IDX.readImages(ip)
            XCTAssertEqual(r.count, 5); XCTAssertEqual(r.rows, 3); XCTAssertEqual(r.cols, 4)
            XCTAssertEqual(r.images, images)
            XCTAssertEqual(try IDX.readLabels(lp), labels)
        }
    }

    /// A header that says 0 images (or 0 rows) is refused when read, naming the file, not
    /// left to trap later in a sampler or a convolution.
    func testIDXWithNoImagesOrNoRowsIsRefused() {
        for dims in [[0, 28, 28], [5, 0, 28]] {
            let path = write("empty\(dims[0])", IDX.encode(magic: IDX.imagesMagic, dims: dims, data: []))
            XCTAssertEqual(message { _ = try IDX.readImages(path) },
                           "malformed data file \(path): its header says \(dims[0]) images of \(dims[1])×\(dims[2]) pixels; is it the right file? Install or download it again")
        }
    }

    func testMNISTLoaderFindsPlainAndGzipFiles() throws {
        let (images, labels) = idxPair(count: 4, rows: 2, cols: 2, seed: 4)
        _ = write("t10k-images-idx3-ubyte", IDX.encode(magic: IDX.imagesMagic, dims: [4, 2, 2], data: images))
        _ = write("t10k-labels-idx1-ubyte.gz", Gzip.compress(IDX.encode(magic: IDX.labelsMagic, dims: [4], data: labels)))
        let set = try MNIST.load(split: .test, directory: dir)
        XCTAssertEqual(set.count, 4); XCTAssertEqual(set.channels, 1)
        XCTAssertEqual(set.height, 2); XCTAssertEqual(set.width, 2)
        XCTAssertEqual(set.images, images)
        XCTAssertEqual(set.labels, labels.map { Int($0) })
        XCTAssertEqual(set.classNames, (0..<10).map(String.init))
        let m = message { _ = try MNIST.load(split: .train, directory: dir) }
        XCTAssertEqual(m, "data file not found: \(dir)/train-images-idx3-ubyte; get it with `repro data fetch mnist`")
    }

    func testIDXShortFileAndWrongMagicErrors() throws {
        let (images, labels) = idxPair(count: 5, rows: 3, cols: 4, seed: 5)
        let full = IDX.encode(magic: IDX.imagesMagic, dims: [5, 3, 4], data: images)
        // Shorter than the header says, raw and compressed.
        let short = write("short", Array(full.prefix(16 + 59)))
        XCTAssertEqual(message { _ = try IDX.readImages(short) },
                       "file too short: \(short) has 75 bytes where its format needs 76; "
                       + "it is truncated: download or install it again")
        let shortGz = write("short.gz", Gzip.compress(Array(full.prefix(16 + 10))))
        XCTAssertEqual(message { _ = try IDX.readImages(shortGz) },
                       "file too short: \(shortGz) has 26 bytes where its format needs 76; "
                       + "it is truncated: download or install it again")
        // Shorter than the header itself.
        let stub = write("stub", [0, 0, 8, 3, 0, 0])
        XCTAssertEqual(message { _ = try IDX.readImages(stub) },
                       "file too short: \(stub) has 6 bytes where its format needs 16; "
                       + "it is truncated: download or install it again")
        // A label file where images are expected, and the other way round.
        let lp = write("labels", IDX.encode(magic: IDX.labelsMagic, dims: [5], data: labels))
        XCTAssertEqual(message { _ = try IDX.readImages(lp) },
                       "wrong magic number in \(lp): expected 0x00000803, found 0x00000801; "
                       + "is this the right file (images vs labels, IDX format)?")
        let ip = write("images", full)
        XCTAssertTrue(message { _ = try IDX.readLabels(ip) }.hasPrefix("wrong magic number in \(ip): expected 0x00000801, found 0x00000803"))
        // Longer than the header says: the wrong file, not silently accepted.
        let long = write("long", full + [0])
        XCTAssertTrue(message { _ = try IDX.readImages(long) }.hasPrefix("malformed data file \(long): 1 bytes more"))
    }

    // MARK: Fashion-MNIST (Debian's dataset-fashion-mnist, installed by scripts/setup)

    func testFashionMNISTTrainLoads() throws {
        let train = try FashionMNIST.load(split: .train)
        XCTAssertEqual(train.count, 60_000)
        XCTAssertEqual(train.channels, 1); XCTAssertEqual(train.height, 28); XCTAssertEqual(train.width, 28)
        XCTAssertEqual(train.images.count, 60_000 * 784)
        XCTAssertEqual(train.classCounts, [Int](repeating: 6000, count: 10))
        XCTAssertEqual(train.classNames, ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"])
        // First training label is 9 (Ankle boot), as in torchvision's FashionMNIST.
        XCTAssertEqual(train.labels[0], 9)
    }

    func testFashionMNISTTestLoadsAndMatchesPublishedChecksum() throws {
        let test = try FashionMNIST.load(split: .test)
        XCTAssertEqual(test.count, 10_000)
        XCTAssertEqual(test.height, 28); XCTAssertEqual(test.width, 28)
        XCTAssertEqual(Set(test.labels), Set(0..<10))
        let labels = try Gzip.readFile(FashionMNIST.defaultDirectory + "/t10k-labels-idx1-ubyte.gz")
        XCTAssertEqual(Checksum.sha256(labels), "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34")
        XCTAssertEqual(Array(labels.dropFirst(8)), test.labels.map { UInt8($0) })
    }

    func testFashionMNISTMissingFileSaysHowToInstall() {
        XCTAssertEqual(message { _ = try FashionMNIST.load(split: .train, directory: dir) },
                       "data file not found: \(dir)/train-images-idx3-ubyte; install it with "
                       + "`apt-get install dataset-fashion-mnist` (or run scripts/setup)")
    }

    // MARK: CIFAR binary

    /// Pixel byte of record r, channel c, row y, column x, distinct enough to catch a mix-up.
    private func pixel(_ r: Int, _ c: Int, _ y: Int, _ x: Int) -> UInt8 { UInt8((r * 50 + c * 80 + y * 3 + x) % 256) }

    private func cifarRecords(_ labels: [[UInt8]]) -> [UInt8] {
        var out = [UInt8]()
        for (r, l) in labels.enumerated() {
            out += l
            for c in 0..<3 { for y in 0..<32 { for x in 0..<32 { out.append(pixel(r, c, y, x)) } } }
        }
        return out
    }

    func testCIFAR10BinaryRecords() throws {
        let sub = dir + "/cifar-10-batches-bin"
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        _ = write("cifar-10-batches-bin/test_batch.bin", cifarRecords([[7], [0], [9]]))
        let set = try CIFAR10.load(split: .test, directory: dir)
        XCTAssertEqual(set.count, 3); XCTAssertEqual(set.channels, 3)
        XCTAssertEqual(set.height, 32); XCTAssertEqual(set.width, 32)
        XCTAssertEqual(set.labels, [7, 0, 9])
        XCTAssertEqual(set.classNames[7], "horse")
        for (r, c, y, x) in [(0, 0, 0, 0), (1, 1, 5, 31), (2, 2, 31, 7), (2, 0, 17, 3)] {
            XCTAssertEqual(set.images[((r * 3 + c) * 32 + y) * 32 + x], pixel(r, c, y, x))
        }
        // Train reads data_batch_1...5 in order, and batches.meta.txt's names.
        for b in 1...5 { _ = write("cifar-10-batches-bin/data_batch_\(b).bin", cifarRecords([[UInt8(b)]])) }
        _ = write("cifar-10-batches-bin/batches.meta.txt", Array("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n".utf8))
        let train = try CIFAR10.load(split: .train, directory: sub)
        XCTAssertEqual(train.labels, [1, 2, 3, 4, 5])
        XCTAssertEqual(train.classNames, ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
        // A torn record, and a missing file's hint.
        let torn = write("cifar-10-batches-bin/test_batch.bin", Array(cifarRecords([[1], [2]]).dropLast()))
        XCTAssertEqual(message { _ = try CIFAR10.load(split: .test, directory: dir) },
                       "file too short: \(torn) has 6145 bytes where its format needs 6146; "
                       + "it is truncated: download or install it again")
        XCTAssertEqual(message { _ = try CIFAR10.load(split: .test, directory: dir + "/none") },
                       "data file not found: \(dir)/none/test_batch.bin; get it with `repro data fetch cifar10`")
    }

    func testCIFAR100UsesFineLabels() throws {
        _ = write("train.bin", cifarRecords([[3, 71], [19, 4]]))
        let set = try CIFAR100.load(split: .train, directory: dir)
        XCTAssertEqual(set.labels, [71, 4])
        XCTAssertEqual(set.classNames.count, 100)
        XCTAssertEqual(set.images[3072 + 2 * 1024 + 5 * 32 + 6], pixel(1, 2, 5, 6))
    }

    // MARK: batches

    func testBatchNormalisesPerChannel() {
        // Two images, 2 channels, 1×2 pixels.
        let set = LabeledImages(images: [0, 255, 51, 102, /* image 1 */ 10, 20, 30, 40],
                                count: 2, channels: 2, height: 1, width: 2, labels: [1, 0], classNames: ["a", "b"])
        let (x, y) = set.batch(indices: [1, 0, 1], mean: [0.5, 0.25], std: [0.5, 2])
        XCTAssertEqual(x.shape, [3, 2, 1, 2])
        XCTAssertEqual(y, [0, 1, 0])
        func norm(_ v: Float, _ m: Float, _ s: Float) -> Float { (v / 255 - m) / s }
        let expected: [Float] = [norm(10, 0.5, 0.5), norm(20, 0.5, 0.5), norm(30, 0.25, 2), norm(40, 0.25, 2),
                                 -1, 1, norm(51, 0.25, 2), norm(102, 0.25, 2)]
        assertClose(x.scalars, expected + Array(expected.prefix(4)), rtol: 1e-6, atol: 1e-7)
        XCTAssertEqual(x.scalars[6], (0.2 - 0.25) / 2, accuracy: 1e-7)
        // Defaults: x / 255.
        XCTAssertEqual(set.batch(indices: [0]).x.scalars, [0, 1, 0.2, 0.4])
    }

    func testSubsets() {
        let set = LabeledImages(images: Array(0..<12), count: 6, channels: 1, height: 1, width: 2,
                                labels: [0, 1, 2, 0, 1, 2], classNames: ["a", "b", "c"])
        let mid = set.subset(2..<4)
        XCTAssertEqual(mid.images, [4, 5, 6, 7]); XCTAssertEqual(mid.labels, [2, 0]); XCTAssertEqual(mid.count, 2)
        XCTAssertEqual(set.subset(3).labels, [0, 1, 2])
        XCTAssertEqual(set.subset(100).count, 6)
        let picked = set.subset(indices: [5, 0])
        XCTAssertEqual(picked.images, [10, 11, 0, 1]); XCTAssertEqual(picked.labels, [2, 0])
        XCTAssertEqual(set.classCounts, [2, 2, 2])
    }

    // MARK: augmentation

    func testCropWithGivenOffsetsByHand() {
        // One 3×3 image 1...9, padding 1, fill −1.
        let img: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let x = Tensor(img + img, shape: [2, 1, 3, 3])
        // Image 0: dy 0, dx 2 → out[y][x] = in[y − 1][x + 1]. Image 1: dy 2, dx 0 → in[y + 1][x − 1].
        Augment.crop(x, padding: 1, offsets: [0, 2, 2, 0], fill: [-1])
        XCTAssertEqual(x.scalars, [-1, -1, -1, 2, 3, -1, 5, 6, -1,
                                   -1, 4, 5, -1, 7, 8, -1, -1, -1])
        // Centre offsets leave the image alone.
        let y = Tensor(img, shape: [1, 1, 3, 3])
        Augment.crop(y, padding: 2, offsets: [2, 2])
        XCTAssertEqual(y.scalars, img)
    }

    func testRandomCropWithFixedSeedByHand() {
        let x = Tensor([1, 2, 3, 4, 5, 6, 7, 8, 9], shape: [1, 1, 3, 3])
        var rng = RNG(seed: 10)
        Augment.randomCrop(x, padding: 1, fill: [0], rng: &rng)
        // RNG(seed: 10) draws dy = 2, dx = 0 (checked with a Python copy of its SplitMix64):
        // out[y][x] = in[y + 1][x − 1], so the first column and the last row are padding.
        XCTAssertEqual(x.scalars, [0, 4, 5, 0, 7, 8, 0, 0, 0])
        XCTAssertEqual(rng.counter, 2)
    }

    /// Crop by the definition, element by element.
    private func referenceCrop(_ v: [Float], _ n: Int, _ c: Int, _ h: Int, _ w: Int, _ p: Int,
                               _ offsets: [Int], _ fill: [Float]) -> [Float] {
        var out = v
        for i in 0..<n { for ch in 0..<c { for y in 0..<h { for x in 0..<w {
            let sy = y + offsets[2 * i] - p, sx = x + offsets[2 * i + 1] - p
            out[((i * c + ch) * h + y) * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w
                ? v[((i * c + ch) * h + sy) * w + sx] : fill[ch]
        } } } }
        return out
    }

    func testRandomCropMatchesDefinitionAndSeed() {
        // Padding larger than the image too, so whole rows and columns of padding appear.
        for (h, w, p) in [(8, 6, 3), (4, 5, 6)] {
            let x = randomTensor([7, 3, h, w], seed: 5)
            let before = x.scalars
            var rng = RNG(seed: 9)
            var copy = rng
            let offsets = (0..<14).map { _ in copy.int(below: 2 * p + 1) }
            Augment.randomCrop(x, padding: p, fill: [-1, -2, -3], rng: &rng)
            XCTAssertEqual(rng, copy, "one draw per offset, in order")
            XCTAssertEqual(x.scalars, referenceCrop(before, 7, 3, h, w, p, offsets, [-1, -2, -3]))
            XCTAssertGreaterThan(Set(offsets).count, 2)
        }
    }

    func testHorizontalFlip() {
        let x = Tensor([1, 2, 3, 4, 5, 6, /* image 1 */ 7, 8, 9, 10, 11, 12], shape: [2, 1, 2, 3])
        Augment.horizontalFlip(x, mask: [true, false])
        XCTAssertEqual(x.scalars, [3, 2, 1, 6, 5, 4, 7, 8, 9, 10, 11, 12])
        // Twice is the identity, whatever the seed draws.
        let big = randomTensor([16, 3, 5, 4], seed: 6)
        let before = big.scalars
        var a = RNG(seed: 3), b = RNG(seed: 3)
        Augment.randomHorizontalFlip(big, rng: &a)
        XCTAssertNotEqual(big.scalars, before)
        Augment.randomHorizontalFlip(big, rng: &b)
        XCTAssertEqual(big.scalars, before)
        // Probability 1 flips every image; 0 none.
        let odd = Tensor([1, 2, 3, 4, 5], shape: [1, 1, 1, 5])
        var r = RNG(seed: 1)
        Augment.randomHorizontalFlip(odd, probability: 1, rng: &r)
        XCTAssertEqual(odd.scalars, [5, 4, 3, 2, 1])
        Augment.randomHorizontalFlip(odd, probability: 0, rng: &r)
        XCTAssertEqual(odd.scalars, [5, 4, 3, 2, 1])
    }

    // MARK: checksums

    func testChecksumKnownAnswers() throws {
        let abc = Array("abc".utf8)
        XCTAssertEqual(Checksum.sha256([]), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(Checksum.sha256(abc), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(Checksum.md5([]), "d41d8cd98f00b204e9800998ecf8427e")
        XCTAssertEqual(Checksum.md5(abc), "900150983cd24fb0d6963f7d28e17f72")
        // Two-block messages (the padding spills into a second block).
        let two = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        XCTAssertEqual(Checksum.sha256(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let digits = Array("12345678901234567890123456789012345678901234567890123456789012345678901234567890".utf8)
        XCTAssertEqual(Checksum.md5(digits), "57edf4a22be3c955ac49da2e2107b67a")
        // One million 'a', fed in uneven pieces, and from a file in 1 MB chunks.
        let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        var s = SHA256(), m = MD5()
        var at = 0, step = 1
        while at < million.count {
            let piece = Array(million[at..<min(at + step, million.count)])
            s.update(piece); m.update(piece)
            at += step; step = step * 3 % 1000 + 1
        }
        XCTAssertEqual(Checksum.hex(s.finalize()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        XCTAssertEqual(Checksum.hex(m.finalize()), "7707d6ae4e027c70eea2a935c2296f21")
        let path = write("million", million + million)
        XCTAssertEqual(try Checksum.sha256(file: path), Checksum.sha256(million + million))
        XCTAssertEqual(try Checksum.md5(file: path), Checksum.md5(million + million))
    }
}
