import XCTest
import Foundation
import ReproKit

// Vocabulary of the toy models: 0 <pad>, 1 <bos>, 2 <eos>, 3... words.
private let pad = 0, bos = 1, eos = 2

/// The log-probabilities [V] of the next token for a row with this source after it was fed
/// `fed` (<bos> first): a whole "model" as a function of the row's history.
private typealias Table = (_ source: [Int], _ fed: [Int]) -> [Float]

/// FNV-1a over integers: a deterministic hash of a history (Swift's Hasher is seeded per run).
private func fnv(_ values: [Int]) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for v in values { h = (h ^ UInt64(bitPattern: Int64(v))) &* 0x100_0000_01B3 }
    return h
}

/// A toy `IncrementalDecoder` whose state is each row's source and the tokens it was fed, so
/// its outputs depend on the row's whole path: a decoder that feeds or reorders rows wrongly
/// gets log-probabilities and attention that do not replay (`replay`).
private final class ToyDecoder: IncrementalDecoder {
    struct State { var sources: [[Int]]; var fed: [[Int]]; var paddedLength: Int }
    let vocabularySize: Int
    let table: Table
    let attends: Bool
    /// Rows of every decodeStep call, in order.
    var batchSizes: [Int] = []
    var starts = 0

    init(vocabularySize: Int = 6, attends: Bool = true, table: @escaping Table) {
        self.vocabularySize = vocabularySize; self.attends = attends; self.table = table
    }

    func startDecoding(_ source: PaddedBatch) -> State {
        starts += 1
        let t = source.length
        return State(sources: source.lengths.enumerated().map { b, n in Array(source.ids[b * t..<b * t + n]) },
                     fed: Array(repeating: [], count: source.lengths.count), paddedLength: t)
    }

    func decodeStep(_ state: State, tokens: [Int]) -> (logProbabilities: Tensor, state: State, attention: Tensor?) {
        precondition(tokens.count == state.sources.count, "fed \(tokens.count) tokens to \(state.sources.count) rows")
        batchSizes.append(tokens.count)
        var next = state
        var logP: [Float] = [], attention: [Float] = []
        for r in tokens.indices {
            next.fed[r].append(tokens[r])
            let row = table(next.sources[r], next.fed[r])
            precondition(row.count == vocabularySize)
            logP += row
            attention += ToyDecoder.attentionRow(next.sources[r], next.fed[r], paddedLength: state.paddedLength)
        }
        return (Tensor(logP, shape: [tokens.count, vocabularySize]), next,
                attends ? Tensor(attention, shape: [tokens.count, state.paddedLength]) : nil)
    }

    func selectRows(_ state: State, _ rows: [Int]) -> State {
        State(sources: rows.map { state.sources[$0] }, fed: rows.map { state.fed[$0] },
              paddedLength: state.paddedLength)
    }

    /// Real positions hold the step number, plus 0.5 at one position picked by a hash of the
    /// history; padding positions hold 9, which the decoder must cut off.
    static func attentionRow(_ source: [Int], _ fed: [Int], paddedLength: Int) -> [Float] {
        var row = [Float](repeating: 9, count: paddedLength)
        for j in source.indices { row[j] = Float(fed.count) }
        if !source.isEmpty { row[Int(fnv(fed) % UInt64(source.count))] += 0.5 }
        return row
    }
}

/// A random "model": seeded log-softmax rows, one per (source, history), with <pad>/<bos>
/// possible (the options forbid them) and <eos>'s logit moved by `eosBias` plus `eosGrowth` per
/// token already generated, so that a longer sentence can be the best one.
private func randomTable(seed: UInt64, vocabularySize: Int = 6, eosBias: Double = -1,
                         eosGrowth: Double = 0) -> Table {
    { source, fed in
        var rng = RNG(seed: fnv([Int(seed), -7] + source + [-7] + fed))
        var logits = (0..<vocabularySize).map { _ in 3 * Double(rng.uniform()) }
        logits[eos] += eosBias + eosGrowth * Double(fed.count - 1)
        let m = logits.max()!
        let z = log(logits.reduce(0) { $0 + exp($1 - m) }) + m
        return logits.map { Float($0 - z) }
    }
}

/// Log-probabilities with the given probabilities; the rest of the mass spread evenly over
/// the other ids (-infinity for them when there is none).
private func distribution(_ probabilities: [Int: Double], vocabularySize: Int = 6) -> [Float] {
    let rest = 1 - probabilities.values.reduce(0, +)
    let each = rest > 1e-12 ? rest / Double(vocabularySize - probabilities.count) : 0
    return (0..<vocabularySize).map { Float(log(probabilities[$0] ?? each)) }
}

/// The log-probability and attention rows a hypothesis must have, recomputed along its own path.
private func replay(_ table: Table, source: [Int], paddedLength: Int, _ h: Hypothesis) -> (Double, [[Float]]) {
    var fed = [bos], logP = 0.0, rows: [[Float]] = []
    for token in h.tokens + (h.finished ? [eos] : []) {
        logP += Double(table(source, fed)[token])
        rows.append(Array(ToyDecoder.attentionRow(source, fed, paddedLength: paddedLength).prefix(source.count)))
        fed.append(token)
    }
    return (logP, rows)
}

private func assertReplays(_ table: Table, _ sources: [[Int]], _ hs: [Hypothesis],
                           file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(hs.count, sources.count, file: file, line: line)
    let t = sources.map(\.count).max() ?? 0
    for (source, h) in zip(sources, hs) {
        let (logP, rows) = replay(table, source: source, paddedLength: t, h)
        XCTAssertEqual(h.logProbability, logP, accuracy: 1e-9, "\(source) → \(h.tokens)", file: file, line: line)
        XCTAssertEqual(h.attention, rows, "\(source) → \(h.tokens)", file: file, line: line)
        XCTAssertTrue(h.attention?.allSatisfy { $0.count == source.count } ?? false, file: file, line: line)
    }
}

/// The best finished sentence by exhaustive search: every sequence of `words` of at most
/// `maxLength` tokens, then <eos>; the sum taken in the same order as the decoder's.
private func bruteForce(_ table: Table, source: [Int], words: [Int], maxLength: Int) -> (tokens: [Int], logP: Double) {
    var best: (tokens: [Int], logP: Double) = ([], -.infinity)
    func visit(_ prefix: [Int], _ logP: Double) {
        let row = table(source, [bos] + prefix)
        let end = logP + Double(row[eos])
        if end > best.logP { best = (prefix, end) }
        guard prefix.count < maxLength else { return }
        for w in words { visit(prefix + [w], logP + Double(row[w])) }
    }
    visit([], 0)
    return best
}

private func randomSources(_ rng: inout RNG, count: Int, maxLength: Int) -> [[Int]] {
    (0..<count).map { _ in (0..<rng.int(below: maxLength + 1)).map { _ in 3 + rng.int(below: 3) } }
}

final class DecodingTests: XCTestCase {
    let options = DecodingOptions(bos: bos, eos: eos, forbidden: [pad, bos])

    /// A table that gives 0.6 to the next token of a fixed chain per source length, 0.4 spread.
    private func chainTable(_ chains: [Int: [Int]]) -> Table {
        { source, fed in
            let chain = chains[source.count]!
            return distribution([chain[min(fed.count - 1, chain.count - 1)]: 0.6])
        }
    }

    func testGreedyFollowsTheArgmaxChainAndDropsFinishedRows() {
        let table = chainTable([1: [3, 5, eos], 2: [4, eos]])
        let model = ToyDecoder(table: table)
        let sources = [[4], [3, 5]]
        let hs = greedyDecode(model, source: PaddedBatch(sources, padID: pad), options: options)
        XCTAssertEqual(hs.map(\.tokens), [[3, 5], [4]])
        XCTAssertEqual(hs.map(\.finished), [true, true])
        XCTAssertEqual(hs[0].logProbability, 3 * Double(Float(log(0.6))), accuracy: 1e-9)
        XCTAssertEqual(hs[1].logProbability, 2 * Double(Float(log(0.6))), accuracy: 1e-9)
        XCTAssertEqual(hs.map(\.score), hs.map(\.logProbability))
        XCTAssertEqual(hs.map { $0.attention?.count }, [3, 2])     // each token and the <eos> step
        assertReplays(table, sources, hs)
        // One step for the whole batch per position; the second row leaves after its <eos>.
        XCTAssertEqual(model.batchSizes, [2, 2, 1])
    }

    func testGreedyStopsAtMaxLengthUnfinished() {
        let table: Table = { _, _ in distribution([3: 0.6, eos: 0]) }     // <eos> impossible
        let model = ToyDecoder(table: table)
        var o = options
        o.maxLength = { $0 + 2 }
        let hs = greedyDecode(model, source: PaddedBatch([[4, 4]], padID: pad), options: o)
        XCTAssertEqual(hs[0].tokens, [3, 3, 3, 3])
        XCTAssertFalse(hs[0].finished)
        XCTAssertEqual(hs[0].attention?.count, 4)
        XCTAssertEqual(hs[0].logProbability, 4 * Double(Float(log(0.6))), accuracy: 1e-9)
        assertReplays(table, [[4, 4]], hs)
        // The fifth step is the one in which <eos> could still have ended it.
        XCTAssertEqual(model.batchSizes.count, 5)
        let beam = beamSearch(ToyDecoder(table: table), source: PaddedBatch([[4, 4]], padID: pad), beamSize: 3, options: o)
        XCTAssertEqual(beam, hs)
    }

    func testWideBeamFindsTheBruteForceBest() {
        var rng = RNG(seed: 11)
        var greedyMisses = 0, longBest = 0
        var o = options
        o.maxLength = { $0 % 3 + 1 }
        for seed in 0..<12 as Range<UInt64> {
            let table = randomTable(seed: seed, eosBias: -2, eosGrowth: 1.5)
            let sources = randomSources(&rng, count: 4, maxLength: 4)
            let batch = PaddedBatch(sources, padID: pad)
            // 3 words, at most 3 tokens: at most 27 beams × 4 continuations and 40 finished
            // sentences, so 120 beams search everything.
            let hs = beamSearch(ToyDecoder(table: table), source: batch, beamSize: 120, options: o)
            let greedy = greedyDecode(ToyDecoder(table: table), source: batch, options: o)
            for (b, source) in sources.enumerated() {
                let best = bruteForce(table, source: source, words: [3, 4, 5], maxLength: o.maxLength(source.count))
                XCTAssertEqual(hs[b].tokens, best.tokens, "seed \(seed), source \(source)")
                XCTAssertEqual(hs[b].logProbability, best.logP, accuracy: 1e-12)
                XCTAssertTrue(hs[b].finished)
                if greedy[b].tokens != best.tokens || !greedy[b].finished { greedyMisses += 1 }
                if best.tokens.count >= 2 { longBest += 1 }
            }
            assertReplays(table, sources, hs)
        }
        // The tables are not trivial: the optimum is often long and greedy often misses it.
        XCTAssertGreaterThan(greedyMisses, 5)
        XCTAssertGreaterThan(longBest, 5)
    }

    func testBeamTwoBeatsGreedyOnACraftedTable() {
        // Greedy takes 3 (0.6) then 5 (0.5) then <eos> (0.5): 0.15; 4 (0.4) then <eos> (0.95) is 0.38.
        let table: Table = { _, fed in
            switch fed {
            case [bos]: return distribution([3: 0.6, 4: 0.4])
            case [bos, 3]: return distribution([5: 0.5, eos: 0.45, 4: 0.05])
            case [bos, 4]: return distribution([eos: 0.95, 3: 0.05])
            default: return distribution([eos: 0.5, 3: 0.5])
            }
        }
        let batch = PaddedBatch([[3, 4]], padID: pad)
        let greedy = greedyDecode(ToyDecoder(table: table), source: batch, options: options)[0]
        let beam = beamSearch(ToyDecoder(table: table), source: batch, beamSize: 2, options: options)[0]
        XCTAssertEqual(greedy.tokens, [3, 5])
        XCTAssertEqual(greedy.logProbability, Double(Float(log(0.6))) + 2 * Double(Float(log(0.5))), accuracy: 1e-9)
        XCTAssertEqual(beam.tokens, [4])
        XCTAssertEqual(beam.logProbability, Double(Float(log(0.4))) + Double(Float(log(0.95))), accuracy: 1e-9)
        XCTAssertTrue(beam.finished)
        assertReplays(table, [[3, 4]], [beam])
        XCTAssertEqual(bruteForce(table, source: [3, 4], words: [3, 4, 5], maxLength: 4).tokens, [4])
    }

    func testBeamOfOneIsGreedyExactly() {
        var rng = RNG(seed: 5)
        for seed in 0..<6 as Range<UInt64> {
            for alpha in [0, 0.6] {
                for eosBias in [-1.0, -4.0] {      // -4: many sentences run into maxLength
                    let table = randomTable(seed: seed, eosBias: eosBias)
                    let sources = randomSources(&rng, count: 5, maxLength: 6)
                    var o = options
                    o.lengthPenalty = alpha
                    o.maxLength = { $0 / 2 + 2 }
                    let batch = PaddedBatch(sources, padID: pad)
                    let greedyModel = ToyDecoder(table: table), beamModel = ToyDecoder(table: table)
                    let greedy = greedyDecode(greedyModel, source: batch, options: o)
                    let beam = beamSearch(beamModel, source: batch, beamSize: 1, options: o)
                    XCTAssertEqual(beam, greedy, "seed \(seed), alpha \(alpha), eos bias \(eosBias)")
                    XCTAssertEqual(beamModel.batchSizes, greedyModel.batchSizes)
                    assertReplays(table, sources, greedy)
                }
            }
        }
    }

    func testABatchDecodesAsEachSentenceAlone() {
        let sources = [[3, 4, 5, 3, 4], [], [5, 5], [4, 3, 5, 5, 4, 3, 3], [3]]
        let batch = PaddedBatch(sources, padID: pad)
        var o = options
        o.maxLength = { $0 + 2 }
        o.lengthPenalty = 0.6
        for seed in 0..<4 as Range<UInt64> {
            let table = randomTable(seed: seed)
            for beamSize in [1, 3] {
                let model = ToyDecoder(table: table)
                let together = beamSize == 1 ? greedyDecode(model, source: batch, options: o)
                                             : beamSearch(model, source: batch, beamSize: beamSize, options: o)
                var steps: [Int] = []
                for (b, source) in sources.enumerated() {
                    let single = ToyDecoder(table: table)
                    let alone = beamSize == 1 ? greedyDecode(single, source: PaddedBatch([source], padID: pad), options: o)
                                              : beamSearch(single, source: PaddedBatch([source], padID: pad),
                                                           beamSize: beamSize, options: o)
                    steps.append(single.batchSizes.count)
                    // Equal except the padding of a lone source: attention rows have its length either way.
                    XCTAssertEqual(together[b], alone[0], "seed \(seed), beam \(beamSize), source \(b)")
                    XCTAssertLessThanOrEqual(single.batchSizes.max()!, beamSize)
                }
                // All sentences advance together: as many steps as the longest-running one needs.
                XCTAssertEqual(model.batchSizes.count, steps.max())
                XCTAssertLessThanOrEqual(model.batchSizes.max()!, beamSize * sources.count)
                assertReplays(table, sources, together)
            }
        }
    }

    func testForbiddenTokensAreNeverGenerated() {
        // 3 is the most probable token but forbidden: greedy takes 4, keeping its own log(0.2).
        let crafted: Table = { _, fed in fed.count == 1 ? distribution([3: 0.7, 4: 0.2, eos: 0.1])
                                                        : distribution([3: 0.7, eos: 0.3]) }
        var o = options
        o.forbidden = [pad, bos, 3]
        let h = greedyDecode(ToyDecoder(table: crafted), source: PaddedBatch([[5]], padID: pad), options: o)[0]
        XCTAssertEqual(h.tokens, [4])
        XCTAssertEqual(h.logProbability, Double(Float(log(0.2))) + Double(Float(log(0.3))), accuracy: 1e-9)

        var rng = RNG(seed: 3)
        for seed in 0..<5 as Range<UInt64> {
            let table = randomTable(seed: seed, eosBias: -3, eosGrowth: 1.5)
            let sources = randomSources(&rng, count: 4, maxLength: 5)
            let batch = PaddedBatch(sources, padID: pad)
            for hs in [greedyDecode(ToyDecoder(table: table), source: batch, options: o),
                       beamSearch(ToyDecoder(table: table), source: batch, beamSize: 4, options: o)] {
                let used = Set(hs.flatMap(\.tokens))
                XCTAssertTrue(used.isDisjoint(with: [pad, bos, 3, eos]), "\(used)")
                XCTAssertFalse(used.isEmpty)
                assertReplays(table, sources, hs)
            }
        }
    }

    func testLengthPenaltyLetsALongerSentenceWin() {
        // Empty: log 0.52 = -0.654. [3]: log(0.48 · 0.99) = -0.744, better only once divided by
        // lp = ((5 + 2) / 6)^1 against ((5 + 1) / 6)^1 = 1: -0.638 > -0.654.
        let table: Table = { _, fed in fed.count == 1 ? distribution([eos: 0.52, 3: 0.48])
                                                      : distribution([eos: 0.99, 4: 0.01]) }
        let batch = PaddedBatch([[4, 5]], padID: pad)
        let plain = beamSearch(ToyDecoder(table: table), source: batch, beamSize: 2, options: options)[0]
        XCTAssertEqual(plain.tokens, [])
        XCTAssertEqual(plain.score, plain.logProbability)
        var o = options
        o.lengthPenalty = 1
        let penalised = beamSearch(ToyDecoder(table: table), source: batch, beamSize: 2, options: o)[0]
        XCTAssertEqual(penalised.tokens, [3])
        let logP = Double(Float(log(0.48))) + Double(Float(log(0.99)))
        XCTAssertEqual(penalised.logProbability, logP, accuracy: 1e-12)
        XCTAssertEqual(penalised.score, logP / (7.0 / 6.0), accuracy: 1e-12)
        XCTAssertGreaterThan(penalised.score, Double(Float(log(0.52))))
        // Greedy scores the same way: the empty sentence, |Y| = 1 (its <eos>), so lp = 1.
        let greedy = greedyDecode(ToyDecoder(table: table), source: batch, options: o)[0]
        XCTAssertEqual(greedy.score, Double(Float(log(0.52))), accuracy: 1e-12)
        o.lengthPenalty = 0.6
        let h = beamSearch(ToyDecoder(table: randomTable(seed: 9)), source: batch, beamSize: 3, options: o)[0]
        XCTAssertTrue(h.finished)
        XCTAssertEqual(h.score, h.logProbability / pow((5 + Double(h.tokens.count + 1)) / 6, 0.6), accuracy: 1e-12)
    }

    func testEdgeCases() {
        // No sentences: the model is never asked.
        let idle = ToyDecoder(table: randomTable(seed: 1))
        XCTAssertEqual(greedyDecode(idle, source: PaddedBatch([], padID: pad), options: options), [])
        XCTAssertEqual(beamSearch(idle, source: PaddedBatch([], padID: pad), beamSize: 4, options: options), [])
        XCTAssertEqual(idle.starts, 0)

        // Nothing has a finite log-probability: empty and unfinished, no crash.
        let dead: Table = { _, _ in [Float](repeating: -.infinity, count: 6) }
        for h in [greedyDecode(ToyDecoder(table: dead), source: PaddedBatch([[3], []], padID: pad), options: options),
                  beamSearch(ToyDecoder(table: dead), source: PaddedBatch([[3], []], padID: pad), beamSize: 3,
                             options: options)] {
            XCTAssertEqual(h, [Hypothesis(tokens: [], logProbability: 0, score: 0, finished: false, attention: []),
                               Hypothesis(tokens: [], logProbability: 0, score: 0, finished: false, attention: [])])
        }
        // A dead end after one certain token.
        let deadEnd: Table = { _, fed in fed.count == 1 ? distribution([3: 1]) : [Float](repeating: -.infinity, count: 6) }
        let g = greedyDecode(ToyDecoder(table: deadEnd), source: PaddedBatch([[4]], padID: pad), options: options)
        XCTAssertEqual(g.map(\.tokens), [[3]])
        XCTAssertEqual(g, beamSearch(ToyDecoder(table: deadEnd), source: PaddedBatch([[4]], padID: pad),
                                     beamSize: 3, options: options))

        // A model without attention; a source of length 0 with maxLength(0) = 0.
        var o = options
        o.maxLength = { $0 }
        let table = randomTable(seed: 2)
        let hs = beamSearch(ToyDecoder(attends: false, table: table), source: PaddedBatch([[3, 4], []], padID: pad),
                            beamSize: 2, options: o)
        XCTAssertEqual(hs.map(\.attention), [nil, nil])
        XCTAssertTrue(hs[1].tokens.isEmpty)
        XCTAssertEqual(hs[1].finished, hs[1].logProbability == Double(table([], [bos])[eos]))
    }
}
