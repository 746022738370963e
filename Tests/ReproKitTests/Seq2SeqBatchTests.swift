import XCTest
import ReproKit

final class Seq2SeqBatchTests: XCTestCase {
    private func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as DataError { return e.description } catch { return "other: \(error)" }
        return ""
    }

    private let pairs: [(source: [Int], target: [Int])] = [([5, 6, 7], [8, 9]), ([5], [8, 9, 10, 11])]

    func testSourceIsPaddedWithItsKeyPaddingMask() throws {
        let b = try Seq2SeqCollator().collate(pairs)
        XCTAssertEqual(b.count, 2)
        XCTAssertEqual(b.source.shape, [2, 3])
        XCTAssertEqual(b.source.ids, [5, 6, 7, 5, 0, 0])
        XCTAssertEqual(b.source.lengths, [3, 1])
        XCTAssertEqual(b.source.keyPaddingMask, [[false, false, false], [false, true, true]])
    }

    func testDecoderInputIsBosPlusTargetAndDecoderTargetIsTargetPlusEos() throws {
        let b = try Seq2SeqCollator(pad: 0, bos: 1, eos: 2).collate(pairs)
        XCTAssertEqual(b.targetShape, [2, 5])
        XCTAssertEqual(b.decoderInput.ids, [1, 8, 9, 0, 0, 1, 8, 9, 10, 11])
        XCTAssertEqual(b.decoderTarget, [8, 9, 2, -100, -100, 8, 9, 10, 11, 2])
        // The target at t is the input at t + 1 wherever both are real tokens.
        for row in 0..<2 {
            for t in 0..<4 where b.decoderTarget[row * 5 + t + 1] != Seq2SeqBatch.ignoreIndex {
                XCTAssertEqual(b.decoderTarget[row * 5 + t], b.decoderInput.ids[row * 5 + t + 1])
            }
        }
        XCTAssertEqual(b.decoderKeyPaddingMask, [[false, false, false, true, true], [false, false, false, false, false]])
        XCTAssertEqual(b.targetTokenCount, 8)
        XCTAssertEqual(b.targetWeights, [1, 1, 1, 0, 0, 1, 1, 1, 1, 1])
    }

    /// crossEntropy's ignoreIndex default is the batch's: the loss over the padded batch is
    /// the loss over its real rows alone.
    func testIgnoreIndexLeavesPaddingOutOfCrossEntropy() throws {
        let b = try Seq2SeqCollator().collate(pairs)
        let k = 12, rows = b.decoderTarget.count
        let values = (0..<rows * k).map { Float(($0 * 37) % 11) / 5 - 1 }
        let full = crossEntropy(Tensor(values, shape: [rows, k]), targets: b.decoderTarget).item()
        let real = (0..<rows).filter { b.decoderTarget[$0] != Seq2SeqBatch.ignoreIndex }
        let kept = Tensor(real.flatMap { values[$0 * k..<($0 + 1) * k] }, shape: [real.count, k])
        let expected = crossEntropy(kept, targets: real.map { b.decoderTarget[$0] }).item()
        XCTAssertEqual(full, expected, accuracy: 1e-6)
    }

    func testCollatorTakesATokenizersSpecialIdsAndRejectsBadInput() throws {
        let t = try WordTokenizer(training: ["hola mundo"])
        let b = try Seq2SeqCollator(t).collate([(t.encode("hola"), t.encode("mundo hola"))])
        XCTAssertEqual(b.decoderInput.ids, [t.bos] + t.encode("mundo hola"))
        XCTAssertEqual(b.decoderTarget, t.encode("mundo hola") + [t.eos])
        XCTAssertTrue(message { _ = try Seq2SeqCollator().collate([]) }.contains("empty batch"))
        XCTAssertTrue(message { _ = try Seq2SeqCollator().collate([([4], [5, -100])]) }
            .contains("sentence pair 0 of the batch has token id -100"))
    }

    // MARK: Language-model windows

    func testWindowsGiveInputsAndNextIdTargets() throws {
        let w = try TokenWindows(ids: Array(0..<10), length: 3)
        XCTAssertEqual(w.count, 3)
        XCTAssertEqual((0..<3).map { w.example(at: $0) }, [[0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]])
        let b = w.batch([2, 0])
        XCTAssertEqual(b.shape, [2, 3])
        XCTAssertEqual(b.inputs, [6, 7, 8, 0, 1, 2])
        XCTAssertEqual(b.targets, [7, 8, 9, 1, 2, 3])
        let overlapping = try TokenWindows(ids: Array(0..<10), length: 3, stride: 1)
        XCTAssertEqual(overlapping.count, 7)
        XCTAssertEqual(overlapping.example(at: 6), [6, 7, 8, 9])
        XCTAssertEqual(try w.batch([1], collatedBy: LanguageModelCollator()), w.batch([1]))
    }

    func testWindowErrors() {
        XCTAssertTrue(message { _ = try TokenWindows(ids: [1, 2, 3], length: 3) }.contains("cannot fill one window"))
        XCTAssertTrue(message { _ = try TokenWindows(ids: [1, 2, 3], length: 0) }.contains("window length"))
        XCTAssertTrue(message { _ = try TokenWindows(ids: [1, 2, 3], length: 1, stride: 0) }.contains("stride"))
        XCTAssertTrue(message { _ = try LanguageModelCollator().collate([[1, 2], [1, 2, 3]]) }
            .contains("window 1 has 3 ids but window 0 has 2"))
        XCTAssertTrue(message { _ = try LanguageModelCollator().collate([[1]]) }.contains("at least 2 ids"))
    }
}
