import XCTest
import Foundation
import ReproKit

/// Perplexity = exp(mean NLL per token), streamed over batches of different sizes.
final class PerplexityTests: XCTestCase {
    func testUniformModelOverFiftyTokensHasPerplexityFifty() {
        let p = Perplexity()
        p.update(meanNLL: log(50), tokens: 7)
        p.update(totalNLL: 3 * log(50), tokens: 3)
        XCTAssertEqual(p.value, 50, accuracy: 1e-9)
        XCTAssertEqual(p.tokens, 10)
        XCTAssertFalse(p.higherIsBetter)
    }

    func testBatchesAreWeightedByTokensNotCounted() {
        let p = Perplexity()
        p.update(meanNLL: 1.0, tokens: 1)
        p.update(meanNLL: 2.0, tokens: 3)
        // (1·1 + 2·3) / 4 = 1.75 per token; the mean of batch means would be 1.5.
        XCTAssertEqual(p.meanNLL, 1.75, accuracy: 1e-12)
        XCTAssertEqual(p.value, exp(1.75), accuracy: 1e-9)
    }

    func testResetAndEmpty() {
        let p = Perplexity(name: "val_ppl")
        XCTAssertEqual(p.name, "val_ppl")
        XCTAssertEqual(p.value, 0)
        p.update(meanNLL: 2, tokens: 4)
        p.update(totalNLL: 5, tokens: 0)    // an empty batch changes nothing
        XCTAssertEqual(p.value, exp(2), accuracy: 1e-9)
        p.reset()
        XCTAssertEqual(p.value, 0); XCTAssertEqual(p.tokens, 0)
    }
}
