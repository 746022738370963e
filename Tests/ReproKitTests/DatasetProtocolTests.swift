import XCTest
import ReproKit

final class DatasetProtocolTests: XCTestCase {
    private func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as DataError { return e.description } catch { return "other: \(error)" }
        return ""
    }

    /// Three 2-channel 2×3 images with distinct bytes.
    private let images = LabeledImages(images: (0..<36).map { UInt8($0 * 7) }, count: 3, channels: 2, height: 2,
                                       width: 3, labels: [2, 0, 1], classNames: ["a", "b", "c"],
                                       name: "toy", split: "train")

    /// A function generic over the protocol, as a trainer is: proves the conformance is used.
    private func firstBatch<D: Dataset>(_ d: D, _ indices: [Int]) -> (count: Int, batch: D.Batch) {
        (d.count, d.batch(indices))
    }

    // MARK: LabeledImages

    func testLabeledImagesBatchIsTheVectorisedBatch() {
        let (count, b) = firstBatch(images, [2, 0, 2])
        XCTAssertEqual(count, 3)
        let old = images.batch(indices: [2, 0, 2])
        XCTAssertEqual(b.x.shape, [3, 2, 2, 3])
        XCTAssertEqual(b.x.scalars, old.x.scalars)
        XCTAssertEqual(b.y, [1, 2, 1])
        // Pixels are x / 255 in CHW order: image 2 starts at byte 24.
        XCTAssertEqual(b.x.scalars[0], Float(24 * 7) / 255)
    }

    func testLabeledImagesExampleAndDescription() throws {
        let e = images.example(at: 1)
        XCTAssertEqual(e.x.shape, [2, 2, 3])
        XCTAssertEqual(e.x.scalars, (12..<24).map { Float($0 * 7) / 255 })
        XCTAssertEqual(e.y, 0)
        // Examples stacked one by one give exactly the vectorised batch.
        let stacked = try images.batch([1, 2], collatedBy: StackLabeled())
        XCTAssertEqual(stacked.x.scalars, images.batch(indices: [1, 2]).x.scalars)
        XCTAssertEqual(stacked.y, [0, 1])
        XCTAssertEqual(images.datasetDescription.description, "toy train: 3 examples, 2×3×2 images, 3 classes")
        XCTAssertEqual(images.subset(2).datasetDescription,
                       DatasetDescription(name: "toy", split: "train", count: 2, example: "2×3×2 images, 3 classes"))
    }

    func testLoadedImageSetsNameThemselves() throws {
        let test = try FashionMNIST.load(split: .test)
        XCTAssertEqual(test.datasetDescription.description, "fashion-mnist test: 10000 examples, 28×28×1 images, 10 classes")
    }

    // MARK: TensorDataset

    func testTensorDatasetWithLabels() throws {
        // XOR: four points and their classes.
        let x = Tensor([0, 0, 0, 1, 1, 0, 1, 1], shape: [4, 2])
        let xor = try TensorDataset(x: x, labels: [0, 1, 1, 0], name: "xor")
        XCTAssertEqual(xor.count, 4)
        let b = firstBatch(xor, [3, 1]).batch
        XCTAssertEqual(b.x.shape, [2, 2]); XCTAssertEqual(b.x.scalars, [1, 1, 0, 1])
        XCTAssertEqual(b.labels, [0, 1]); XCTAssertNil(b.y)
        let e = xor.example(at: 2)
        XCTAssertEqual(e.x.shape, [2]); XCTAssertEqual(e.x.scalars, [1, 0]); XCTAssertEqual(e.label, 1)
        XCTAssertEqual(xor.datasetDescription.description, "xor: 4 examples, [2] tensors, 2 classes")
    }

    func testTensorDatasetWithTargetTensorAndNoTargets() throws {
        let x = Tensor((0..<12).map(Float.init), shape: [3, 2, 2])
        let y = Tensor([10, 11, 12], shape: [3, 1])
        let d = try TensorDataset(x: x, y: y, name: "pairs", split: "train")
        let b = d.batch([2, 0])
        XCTAssertEqual(b.x.shape, [2, 2, 2]); XCTAssertEqual(b.x.scalars, [8, 9, 10, 11, 0, 1, 2, 3])
        XCTAssertEqual(b.y?.scalars, [12, 10]); XCTAssertNil(b.labels)
        XCTAssertEqual(d.example(at: 1).y?.shape, [1])
        XCTAssertEqual(d.datasetDescription.description, "pairs train: 3 examples, [2, 2] tensors → [1] targets")
        let points = try TensorDataset(x: x)
        XCTAssertNil(points.example(at: 0).label)
        XCTAssertEqual(points.batch([1]).x.scalars, [4, 5, 6, 7]); XCTAssertNil(points.batch([1]).labels)
        XCTAssertEqual(points.datasetDescription.example, "[2, 2] tensors")
    }

    func testTensorDatasetSaysWhatDoesNotFit() {
        let x = Tensor((0..<6).map(Float.init), shape: [3, 2])
        XCTAssertEqual(message { _ = try TensorDataset(x: x, labels: [0, 1]) },
                       "tensors: 2 labels for 3 examples; give one label per row of x")
        XCTAssertEqual(message { _ = try TensorDataset(x: x, labels: [0, -1, 1], name: "xor") },
                       "xor: label -1 is negative; class labels are 0, 1, 2, …")
        XCTAssertEqual(message { _ = try TensorDataset(x: x, y: Tensor([1, 2], shape: [2, 1])) },
                       "tensors: y of shape [2, 1] must have one row per example of x [3, 2]")
        XCTAssertEqual(message { _ = try TensorDataset(x: Tensor(scalar: 1)) },
                       "tensors: x must have a leading example axis [N, …], got shape []")
    }

    // MARK: collators

    func testStackAndItsErrors() throws {
        let a = Tensor([1, 2, 3, 4], shape: [2, 2]), b = Tensor([5, 6, 7, 8], shape: [2, 2])
        let s = try Stack().collate([b, a])
        XCTAssertEqual(s.shape, [2, 2, 2]); XCTAssertEqual(s.scalars, [5, 6, 7, 8, 1, 2, 3, 4])
        XCTAssertEqual(message { _ = try Stack().collate([a, Tensor([1, 2, 3], shape: [3])]) },
                       "cannot stack example 1 of shape [3] with example 0 of shape [2, 2]; crop or pad them to "
                       + "one shape, or use PadSequences for sequences")
        XCTAssertEqual(message { _ = try Stack().collate([]) }, "cannot stack an empty batch; ask for at least one index")
    }

    func testPaddedBatchShapesPadIDsAndMask() throws {
        let p = PaddedBatch([[5, 6, 7], [8], [], [9, 10]], padID: 0)
        XCTAssertEqual(p.shape, [4, 3])
        XCTAssertEqual(p.ids, [5, 6, 7, /**/ 8, 0, 0, /**/ 0, 0, 0, /**/ 9, 10, 0])
        XCTAssertEqual(p.lengths, [3, 1, 0, 2])
        XCTAssertEqual(p.tokenCount, 6)
        XCTAssertEqual(p.keyPaddingMask, [[false, false, false], [false, true, true], [true, true, true], [false, false, true]])
        // The pad id is the caller's, not a fixed 0.
        XCTAssertEqual(PaddedBatch([[1], [2, 3]], padID: 99).ids, [1, 99, 2, 3])
        XCTAssertEqual(PaddedBatch([], padID: 0).shape, [0, 0])
    }

    func testPadSequencesCollatesASequenceDataset() throws {
        struct Sentences: Dataset {
            let ids: [[Int]]
            var count: Int { ids.count }
            func example(at index: Int) -> [Int] { ids[index] }
            var datasetDescription: DatasetDescription {
                DatasetDescription(name: "sentences", count: count, example: "token-id sequences")
            }
        }
        let d = Sentences(ids: [[4, 5], [6, 7, 8], [9]])
        XCTAssertEqual(d.batch([2, 0]), [[9], [4, 5]], "the default batch is the examples themselves")
        let p = try d.batch([1, 2], collatedBy: PadSequences(padID: 1))
        XCTAssertEqual(p.ids, [6, 7, 8, 9, 1, 1])
        XCTAssertEqual(p.keyPaddingMask, [[false, false, false], [false, true, true]])
        XCTAssertEqual(d.datasetDescription.description, "sentences: 3 examples, token-id sequences")
    }
}
