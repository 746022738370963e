import XCTest
import ReproKit

final class SamplerTests: XCTestCase {
    private func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as DataError { return e.description } catch { return "other: \(error)" }
        return ""
    }

    // MARK: EpochSampler

    /// Recorded from the sampler before the BatchSampler protocol existed (commit 8d4f633):
    /// moving it must not move a single index, or every ResNet/AlexNet number would change.
    func testEpochSamplerGivesTheRecordedBatches() throws {
        let rng = RNG(seed: 42).split(9)
        let dropping = try EpochSampler(count: 10, batchSize: 3, dropLast: true, rng: rng)
        XCTAssertEqual(dropping.batches, 3)
        let recorded: [[[Int]]] = [[[7, 1, 5], [0, 4, 3], [2, 8, 6]],
                                   [[2, 4, 8], [5, 9, 6], [3, 7, 0]],
                                   [[7, 8, 0], [1, 3, 6], [4, 5, 9]]]
        for e in 0..<3 { XCTAssertEqual((0..<3).map { dropping.indices(epoch: e, batch: $0) }, recorded[e]) }
        let keeping = try EpochSampler(count: 10, batchSize: 3, dropLast: false, rng: rng)
        XCTAssertEqual(keeping.batches, 4)
        for e in 0..<3 { XCTAssertEqual(keeping.indices(epoch: e, batch: 3), [[9], [1], [2]][e]) }

        let big = try EpochSampler(count: 1000, batchSize: 64, dropLast: true, rng: RNG(seed: 7))
        XCTAssertEqual(big.batches, 15)
        XCTAssertEqual(Array(big.indices(epoch: 5, batch: 0).prefix(8)), [285, 473, 408, 555, 497, 980, 637, 609])
        XCTAssertEqual(Array(big.indices(epoch: 5, batch: 14).suffix(8)), [51, 892, 38, 71, 40, 578, 402, 916])
        XCTAssertEqual(big.augmentationRNG(epoch: 3, batch: 2), RNG(key: 2043185180237938057, counter: 0))
    }

    func testEpochSamplerThroughTheProtocolAndOutOfOrder() throws {
        let s = try EpochSampler(count: 10, batchSize: 3, dropLast: true, rng: RNG(seed: 42).split(9))
        let sampler: any BatchSampler = s
        // A resumed run asks for epoch 2 first: the batch must not depend on what came before.
        XCTAssertEqual(sampler.indices(epoch: 2, batch: 1), [1, 3, 6])
        XCTAssertEqual(sampler.indices(epoch: 0, batch: 0), [7, 1, 5])
        XCTAssertEqual(sampler.batches, 3)
    }

    func testEpochSamplerRejectsBatchSizeZeroAndNoExamples() {
        XCTAssertEqual(message { _ = try EpochSampler(count: 10, batchSize: 0, dropLast: true, rng: RNG(seed: 1)) },
                       "batch_size must be at least 1, got 0; set it to a positive number")
        XCTAssertEqual(message { _ = try EpochSampler(count: 0, batchSize: 4, dropLast: true, rng: RNG(seed: 1)) },
                       "no examples to draw batches from (the training set is empty); check the data set and any subset size")
    }

    /// A batch size near Int.max is one batch of every example, not an overflow trap in
    /// `batches` or `indices` (it trapped in the first batch count).
    func testEpochSamplerWithAHugeBatchSizeIsOneBatchOfEverything() throws {
        for dropLast in [true, false] {
            let s = try EpochSampler(count: 10, batchSize: Int.max, dropLast: dropLast, rng: RNG(seed: 3))
            XCTAssertEqual(s.batches, 1)
            XCTAssertEqual(s.indices(epoch: 4, batch: 0).sorted(), Array(0..<10))
        }
    }

    // MARK: LengthBucketedSampler

    /// 2000 lengths from 1 to 120, skewed short as sentence lengths are.
    private func sentenceLengths() -> [Int] {
        var r = RNG(seed: 5)
        return (0..<2000).map { _ in 1 + Int(Float(119) * r.uniform() * r.uniform()) }
    }

    func testEachEpochVisitsEveryExampleOnceWithinMaxTokens() throws {
        let lengths = sentenceLengths()
        let s = try LengthBucketedSampler(lengths: lengths, maxTokens: 600, rng: RNG(seed: 11))
        XCTAssertGreaterThan(s.batches, 10)
        for epoch in 0..<3 {
            let batches = (0..<s.batches).map { s.indices(epoch: epoch, batch: $0) }
            XCTAssertEqual(batches.flatMap { $0 }.sorted(), Array(0..<lengths.count), "epoch \(epoch)")
            for b in batches {
                XCTAssertFalse(b.isEmpty)
                XCTAssertLessThanOrEqual(b.count * b.map { lengths[$0] }.max()!, 600)
            }
        }
    }

    func testBatchesHoldSimilarLengths() throws {
        let lengths = sentenceLengths()
        let bucketed = try LengthBucketedSampler(lengths: lengths, batchSize: 32, rng: RNG(seed: 11))
        let random = try EpochSampler(count: lengths.count, batchSize: 32, dropLast: false, rng: RNG(seed: 11))
        XCTAssertEqual(bucketed.batches, random.batches, "a batch-size cap cuts as many batches as plain batching")
        /// Padding share of a sampler's epoch 0: padded tokens that are not real tokens.
        func padding(_ s: any BatchSampler) -> Double {
            var padded = 0, real = 0
            for b in 0..<s.batches {
                let ls = s.indices(epoch: 0, batch: b).map { lengths[$0] }
                padded += ls.count * ls.max()!; real += ls.reduce(0, +)
            }
            return Double(padded - real) / Double(padded)
        }
        XCTAssertLessThan(padding(bucketed), 0.05)
        XCTAssertGreaterThan(padding(random), 0.4)
        /// The largest and the mean ratio of longest to shortest example in a batch.
        func spread(_ s: any BatchSampler) -> (worst: Double, mean: Double) {
            let ratios = (0..<s.batches).map { b -> Double in
                let ls = s.indices(epoch: 1, batch: b).map { lengths[$0] }
                return Double(ls.max()!) / Double(ls.min()!)
            }
            return (ratios.max()!, ratios.reduce(0, +) / Double(ratios.count))
        }
        // Random batches of 32 mix 1-token and 100-token sentences; sorted ones at worst 1 with 2.
        XCTAssertLessThanOrEqual(spread(bucketed).worst, 2)
        XCTAssertLessThan(spread(bucketed).mean, 1.2)
        XCTAssertGreaterThan(spread(random).mean, 10)
        XCTAssertTrue((0..<bucketed.batches).allSatisfy { bucketed.indices(epoch: 1, batch: $0).count <= 32 })
    }

    func testSameSeedAndEpochGiveTheSameBatchesAndEpochsDiffer() throws {
        let lengths = sentenceLengths()
        let a = try LengthBucketedSampler(lengths: lengths, maxTokens: 600, rng: RNG(seed: 3))
        let b = try LengthBucketedSampler(lengths: lengths, maxTokens: 600, rng: RNG(seed: 3))
        let epoch = { (s: LengthBucketedSampler, e: Int) in (0..<s.batches).map { s.indices(epoch: e, batch: $0) } }
        // b asks out of order, as a resumed run does.
        let later = epoch(b, 4)
        XCTAssertEqual(epoch(a, 2), epoch(b, 2))
        XCTAssertEqual(epoch(a, 4), later)
        XCTAssertEqual(a.batches, b.batches)
        let e0 = epoch(a, 0), e1 = epoch(a, 1)
        XCTAssertNotEqual(e0.map { $0.first! }, e1.map { $0.first! }, "batch order is reshuffled each epoch")
        XCTAssertNotEqual(Set(e0.map { Set($0) }), Set(e1.map { Set($0) }), "ties meet different partners")
        let other = try LengthBucketedSampler(lengths: lengths, maxTokens: 600, rng: RNG(seed: 4))
        XCTAssertNotEqual(epoch(other, 0), e0)
    }

    func testLengthBucketedSamplerSaysWhatIsWrong() {
        XCTAssertEqual(message { _ = try LengthBucketedSampler(lengths: [3, 900, 5], maxTokens: 500, rng: RNG(seed: 1)) },
                       "example 1 has 900 tokens, more than max_tokens 500; raise max_tokens to at least 900 "
                       + "or leave out examples longer than it")
        XCTAssertEqual(message { _ = try LengthBucketedSampler(lengths: [3, 4], rng: RNG(seed: 1)) },
                       "a length-bucketed sampler needs max_tokens or batch_size; set one of them")
        XCTAssertEqual(message { _ = try LengthBucketedSampler(lengths: [3, 4], batchSize: 0, rng: RNG(seed: 1)) },
                       "batch_size must be at least 1, got 0; set it to a positive number")
        XCTAssertEqual(message { _ = try LengthBucketedSampler(lengths: [], maxTokens: 10, rng: RNG(seed: 1)) },
                       "no examples to draw batches from (the data set is empty); check the data set")
        XCTAssertEqual(message { _ = try LengthBucketedSampler(lengths: [2, -1], maxTokens: 10, rng: RNG(seed: 1)) },
                       "example 1 has length -1; lengths must be 0 or more")
    }
}
