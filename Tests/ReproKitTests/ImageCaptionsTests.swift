import XCTest
import ReproKit

/// CLIP's generated captions (`ImageCaptions`): the attributes are what is measured in each
/// image against its class, captions come from the training templates only, and the held-out
/// templates' own words are never in the training vocabulary.
final class ImageCaptionsTests: XCTestCase {
    /// Four 4×4 images of class 0 and one of class 1: a bar of ink `width` columns wide at `level`.
    func images() -> LabeledImages {
        func bar(width: Int, level: UInt8) -> [UInt8] {
            (0..<16).map { i in i % 4 < width ? level : 0 }
        }
        let pixels = bar(width: 1, level: 255) + bar(width: 3, level: 100) + bar(width: 4, level: 250)
            + bar(width: 2, level: 30) + bar(width: 2, level: 200)
        return LabeledImages(images: pixels, count: 5, channels: 1, height: 4, width: 4, labels: [0, 0, 0, 0, 1],
                             classNames: ["T-shirt/top", "Ankle boot"], name: "toy")
    }

    func testAttributesAreMeasuredAgainstTheClassMedian() {
        let c = ImageCaptions(images())
        XCTAssertEqual(c.classNames, ["t-shirt", "ankle boot"])
        // Class 0: mean ink 63.75, 75, 250, 15 (median 69.4); widths 1, 3, 4, 0 (median 2)
        // (the 30-level bar is below the width threshold of 64: width 0, still narrow).
        XCTAssertEqual(c.bright, [false, true, true, false, false])
        XCTAssertEqual(c.wide, [false, true, true, false, false])
    }

    /// Test images are described by the training set's thresholds, not their own.
    func testAReferenceSetsTheThresholds() {
        let reference = ImageCaptions(images())
        let one = LabeledImages(images: (0..<16).map { i in i % 4 < 3 ? 100 : 0 }, count: 1, channels: 1, height: 4, width: 4,
                                labels: [0], classNames: ["T-shirt/top", "Ankle boot"], name: "toy")
        let alone = ImageCaptions(one)
        XCTAssertEqual([alone.bright[0], alone.wide[0]], [false, false], "its own median: not above itself")
        let measured = ImageCaptions(one, reference: reference)
        XCTAssertEqual([measured.bright[0], measured.wide[0]], [true, true], "ink 75 > 69.4, width 3 > 2")
        XCTAssertEqual(measured.inkMedians[0], 69.375, accuracy: 1e-9)
        XCTAssertEqual(measured.description(0), "a photo of a bright wide t-shirt.")
    }

    func testCaptionsUseTrainingTemplatesAndTheImagesOwnWords() {
        let c = ImageCaptions(images())
        var rng = RNG(seed: 3)
        var seenTemplates = Set<String>()
        for _ in 0..<200 {
            let caption = c.caption(2, rng: &rng)
            XCTAssertTrue(caption.contains("t-shirt"), caption)
            XCTAssertFalse(caption.contains("dark") || caption.contains("narrow"), "image 2 is bright and wide: \(caption)")
            let template = ImageCaptions.trainingTemplates.first { t in
                ["t-shirt", "bright t-shirt", "wide t-shirt", "bright wide t-shirt"].contains { ImageCaptions.fill(t, $0) == caption }
            }
            XCTAssertNotNil(template, caption)
            template.map { _ = seenTemplates.insert($0) }
        }
        XCTAssertEqual(seenTemplates.count, ImageCaptions.trainingTemplates.count, "every template is drawn")
        XCTAssertEqual(c.description(2), "a photo of a bright wide t-shirt.")
        XCTAssertEqual(c.description(3), "a photo of a dark narrow t-shirt.")
        XCTAssertEqual(c.description(4), "a photo of a dark narrow ankle boot.")
        var a = RNG(seed: 9), b = RNG(seed: 9)
        XCTAssertEqual((0..<5).map { c.caption($0, rng: &a) }, (0..<5).map { c.caption($0, rng: &b) }, "the RNG decides")
    }

    func testHeldOutTemplatesAreNeverTrainedOn() throws {
        let c = ImageCaptions(images())
        let text = c.trainingVocabularyText
        XCTAssertEqual(text.count, ImageCaptions.trainingTemplates.count * 2 * 9)
        let tokenizer = try WordTokenizer(training: text)
        for word in ["good", "close-up", "there"] {
            XCTAssertFalse(text.contains { $0.contains(word) }, word)
            XCTAssertTrue(tokenizer.encode("a \(word) photo").contains(tokenizer.unk), word)
        }
        XCTAssertFalse(tokenizer.encode("a photo of a bright wide ankle boot.").contains(tokenizer.unk))
        XCTAssertTrue(Set(ImageCaptions.heldOutTemplates).isDisjoint(with: ImageCaptions.trainingTemplates))
    }

    func testRetrievalRecallCountsAMatchInTheTopK() {
        // Query 0's best item is 2, then 0; query 1's best is 1; query 2's three items tie.
        let s = Tensor([0.5, 0.1, 0.9,
                        0.2, 0.8, 0.3,
                        0.4, 0.4, 0.4], shape: [3, 3])
        let paired: (Int, Int) -> Bool = { $0 == $1 }
        // Only query 1 finds its own item first; query 2's tie goes to item 0, the lower index.
        XCTAssertEqual(retrievalRecall(similarity: s, k: 1, matches: paired), 1.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(retrievalRecall(similarity: s, k: 2, matches: paired), 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(retrievalRecall(similarity: s, k: 3, matches: paired), 1)
        // Two queries over four items, not square: query 0's best is item 3, query 1's item 0.
        let wide = Tensor([0.1, 0.2, 0.3, 0.9,
                           0.8, 0.1, 0.7, 0.2], shape: [2, 4])
        XCTAssertEqual(retrievalRecall(similarity: wide, k: 1) { [3, 2][$0] == $1 }, 0.5)
        XCTAssertEqual(retrievalRecall(similarity: wide, k: 2) { [3, 2][$0] == $1 }, 1)
        // Items 0 and 2 share a caption: query 0's top item (2) and query 2's (0) count.
        let sameCaption: (Int, Int) -> Bool = { $0 == $1 || Set([$0, $1]) == [0, 2] }
        XCTAssertEqual(retrievalRecall(similarity: s, k: 1, matches: sameCaption), 1)
    }
}
