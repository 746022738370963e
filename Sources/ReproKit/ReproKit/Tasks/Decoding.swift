import Foundation

/// Greedy decoding and beam search over any `IncrementalDecoder`: the one place where a
/// translation plugin's model is turned into sentences, so every paper decodes (and is scored)
/// the same way. Both run every sentence of a batch at once, one `decodeStep` per position.

/// One decoded sentence.
public struct Hypothesis: Equatable, Sendable {
    /// The generated ids, without `<bos>` and without the final `<eos>`.
    public var tokens: [Int]
    /// Sum of the log-probabilities of the tokens, `<eos>` included when finished.
    public var logProbability: Double
    /// What beam search ranked by: logProbability / lengthPenalty (equal to logProbability when alpha = 0).
    public var score: Double
    /// Whether `<eos>` ended it (false: stopped at maxLength).
    public var finished: Bool
    /// One row per generated token (each of `tokens`, then the `<eos>` step if finished), each the
    /// model's attention over the source's real positions (length = that source's length, padding cut off);
    /// nil when the model returns no attention.
    public var attention: [[Float]]?

    public init(tokens: [Int], logProbability: Double, score: Double, finished: Bool,
                attention: [[Float]]?) {
        self.tokens = tokens; self.logProbability = logProbability; self.score = score
        self.finished = finished; self.attention = attention
    }
}

/// How `greedyDecode` and `beamSearch` decode.
public struct DecodingOptions: Sendable {
    public var bos: Int, eos: Int
    /// Most tokens to generate for a source of a given length (not counting <eos>): e.g. { 2 * $0 + 10 }.
    public var maxLength: @Sendable (Int) -> Int
    /// Token ids never generated (e.g. <pad>, <bos>, <unk> for the paper's "no UNK" decoding).
    public var forbidden: [Int]
    /// GNMT length penalty alpha (Wu et al. 2016): score = logP / ((5 + |Y|) / 6)^alpha, |Y| counting <eos>; 0 = none.
    public var lengthPenalty: Double

    public init(bos: Int, eos: Int, maxLength: @escaping @Sendable (Int) -> Int = { 2 * $0 + 10 },
                forbidden: [Int] = [], lengthPenalty: Double = 0) {
        // beamSearch's early stop bounds a live beam's best score by lp(maxLength + 1), which
        // holds only when the penalty grows with length.
        precondition(lengthPenalty >= 0, "DecodingOptions: lengthPenalty \(lengthPenalty) must be ≥ 0")
        self.bos = bos; self.eos = eos; self.maxLength = maxLength
        self.forbidden = forbidden; self.lengthPenalty = lengthPenalty
    }

    /// GNMT's lp(Y) = ((5 + |Y|) / 6)^alpha for |Y| = `length`; exactly 1 when alpha = 0, so
    /// that a score then equals its log-probability bit for bit.
    func penalty(length: Int) -> Double {
        lengthPenalty == 0 ? 1 : pow((5 + Double(length)) / 6, lengthPenalty)
    }

    func score(_ logProbability: Double, length: Int) -> Double {
        logProbability / penalty(length: length)
    }
}

/// Greedy decoding of every sentence of `source` at once: one `decodeStep` per position for
/// the whole batch, each row taking its most probable allowed token; a row leaves the batch
/// (`selectRows`) once it has produced `<eos>`, reached `maxLength`, or has no allowed token
/// with a finite log-probability. Runs without gradients.
///
/// A row that has generated `maxLength` tokens still gets one more step, in which it finishes
/// only if `<eos>` is its most probable token.
public func greedyDecode<M: IncrementalDecoder>(_ model: M, source: PaddedBatch,
                                                options: DecodingOptions) -> [Hypothesis] {
    let n = source.lengths.count
    guard n > 0 else { return [] }
    return withNoGrad {
        let limits = source.lengths.map { max(0, options.maxLength($0)) }
        var tokens = [[Int]](repeating: [], count: n)
        var logP = [Double](repeating: 0, count: n)
        var attention = [[[Float]]](repeating: [], count: n)
        var finished = [Bool](repeating: false, count: n)
        var rows = Array(0..<n)             // the sentence behind each row of `state`
        var state = model.startDecoding(source)
        var step = 0
        var attends = true                  // false once a step returns no attention
        while !rows.isEmpty {
            let out = model.decodeStep(state, tokens: rows.map { tokens[$0].last ?? options.bos })
            if out.attention == nil { attends = false }
            let view = StepView(out.logProbabilities, attention: out.attention, rows: rows.count,
                                forbidden: options.forbidden)
            var kept: [Int] = []
            for (r, s) in rows.enumerated() {
                // Ranked by the running sum, as beamSearch ranks, so beam 1 agrees bit for bit.
                var best: (token: Int, logP: Double)?
                view.forEachCandidate(row: r, base: logP[s]) { v, p in
                    if best == nil || p > best!.logP { best = (v, p) }
                }
                guard let pick = best, pick.token == options.eos || step < limits[s] else { continue }
                if let a = view.attention(row: r, length: source.lengths[s]) { attention[s].append(a) }
                logP[s] = pick.logP
                if pick.token == options.eos { finished[s] = true } else { tokens[s].append(pick.token); kept.append(r) }
            }
            if kept.isEmpty { break }
            state = kept.count == rows.count ? out.state : model.selectRows(out.state, kept)
            rows = kept.map { rows[$0] }
            step += 1
        }
        return (0..<n).map { s in
            Hypothesis(tokens: tokens[s], logProbability: logP[s],
                       score: options.score(logP[s], length: tokens[s].count + (finished[s] ? 1 : 0)),
                       finished: finished[s], attention: attends ? attention[s] : nil)
        }
    }
}

/// Beam search with `beamSize` beams per sentence, all sentences and beams in one batch per step
/// (selectRows expands each source to beamSize rows, then reorders rows after each step).
///
/// Each step ranks every (beam, allowed token) continuation of a sentence by its summed
/// log-probability and walks the best 2·beamSize (fairseq's rule): an `<eos>` continuation
/// ranked among the first beamSize leaves the beam as a finished hypothesis (scored with the
/// length penalty), the first beamSize other continuations become the next beams. A sentence
/// is done when it has `beamSize` finished hypotheses (fairseq's rule; it is what makes beam 1
/// stop where greedy stops, whatever alpha), or when no live beam can still beat the best
/// finished score (log-probabilities are ≤ 0, so a beam's score can at best reach
/// logP / lp(maxLength + 1); with alpha = 0 that is its current score), or at maxLength (where
/// beams get the step in which they may end with `<eos>`, as in `greedyDecode`).
/// Returns the best hypothesis per sentence (finished ones preferred over unfinished).
/// beamSize 1 gives exactly greedyDecode's output. Runs without gradients.
public func beamSearch<M: IncrementalDecoder>(_ model: M, source: PaddedBatch, beamSize: Int,
                                              options: DecodingOptions) -> [Hypothesis] {
    precondition(beamSize >= 1, "beamSearch needs beamSize >= 1, got \(beamSize) (1 is greedy decoding)")
    let n = source.lengths.count
    guard n > 0 else { return [] }
    return withNoGrad {
        let limits = source.lengths.map { max(0, options.maxLength($0)) }
        var paths = Paths()
        // Each sentence starts with one beam (<bos>), not beamSize copies of it: identical copies
        // would only offer the same continuations several times.
        var live = [[Beam]](repeating: [Beam(node: -1, logP: 0)], count: n)
        var best = [(node: Int, logP: Double, score: Double)?](repeating: nil, count: n)
        var finishedCount = [Int](repeating: 0, count: n)
        var results = [Hypothesis?](repeating: nil, count: n)
        var active = Array(0..<n)           // the state's rows are these sentences' beams, in order
        var state = model.startDecoding(source)
        var step = 0
        var attends = true                  // false once a step returns no attention
        while !active.isEmpty {
            let fed = active.flatMap { s in live[s].map { paths.token($0.node, root: options.bos) } }
            let out = model.decodeStep(state, tokens: fed)
            if out.attention == nil { attends = false }
            let view = StepView(out.logProbabilities, attention: out.attention, rows: fed.count,
                                forbidden: options.forbidden)
            var parentRows: [Int] = [], stillActive: [Int] = []
            var firstRow = 0
            for s in active {
                let beams = live[s], length = source.lengths[s]
                defer { firstRow += beams.count }
                var top = TopCandidates(capacity: 2 * beamSize)
                for (i, beam) in beams.enumerated() {
                    view.forEachCandidate(row: firstRow + i, base: beam.logP) { v, p in
                        top.offer(row: firstRow + i, token: v, logP: p)
                    }
                }
                var next: [Beam] = [], nextRows: [Int] = []
                for (rank, c) in top.items.enumerated() {
                    let parent = beams[c.row - firstRow].node
                    if c.token == options.eos {
                        guard rank < beamSize else { continue }
                        let node = paths.add(parent: parent, token: c.token,
                                             attention: view.attention(row: c.row, length: length))
                        let score = options.score(c.logP, length: step + 1)
                        finishedCount[s] += 1
                        // Strictly better only: on a tie the earlier (shorter, higher-ranked) one stays.
                        if best[s] == nil || score > best[s]!.score { best[s] = (node, c.logP, score) }
                    } else if step < limits[s] && next.count < beamSize {
                        next.append(Beam(node: paths.add(parent: parent, token: c.token,
                                                         attention: view.attention(row: c.row, length: length)),
                                         logP: c.logP))
                        nextRows.append(c.row)
                    }
                }
                // `next` is in rank order: next[0] is the beam with the best chance to win.
                var done = next.isEmpty || finishedCount[s] >= beamSize
                if !done, let b = best[s] { done = options.score(next[0].logP, length: limits[s] + 1) <= b.score }
                if done {
                    if let b = best[s] {
                        results[s] = paths.hypothesis(b.node, logP: b.logP, score: b.score, finished: true)
                    } else {
                        // Unfinished: the best beam that entered this step, with `step` tokens.
                        let b = beams[0]
                        results[s] = paths.hypothesis(b.node, logP: b.logP, score: options.score(b.logP, length: step),
                                                      finished: false)
                    }
                } else {
                    live[s] = next
                    parentRows += nextRows
                    stillActive.append(s)
                }
            }
            active = stillActive
            if active.isEmpty { break }
            state = model.selectRows(out.state, parentRows)
            step += 1
        }
        // Without attention every hypothesis has none, even one whose path holds no rows to tell.
        return results.map { h in var h = h!; if !attends { h.attention = nil }; return h }
    }
}

/// A live beam: the last node of its path and the path's summed log-probability.
private struct Beam {
    var node: Int
    var logP: Double
}

/// Every token ever kept by a beam search, as a tree of parent links: a beam extends a path
/// by one node instead of copying its tokens and attention rows at every step.
private struct Paths {
    var parent: [Int] = [], tokens: [Int] = [], attention: [[Float]?] = []

    mutating func add(parent p: Int, token: Int, attention a: [Float]?) -> Int {
        parent.append(p); tokens.append(token); attention.append(a)
        return tokens.count - 1
    }

    /// The token a beam ending at `node` feeds next (`root`, i.e. `<bos>`, for the empty path).
    func token(_ node: Int, root: Int) -> Int { node < 0 ? root : tokens[node] }

    func hypothesis(_ node: Int, logP: Double, score: Double, finished: Bool) -> Hypothesis {
        var ids: [Int] = [], rows: [[Float]]? = []
        var i = node
        while i >= 0 {
            ids.append(tokens[i])
            if let a = attention[i] { rows?.append(a) } else { rows = nil }
            i = parent[i]
        }
        ids.reverse()
        if finished { ids.removeLast() }    // the <eos>; its attention row stays
        return Hypothesis(tokens: ids, logProbability: logP, score: score, finished: finished,
                          attention: rows.map { Array($0.reversed()) })
    }
}

/// The `capacity` best candidates offered, best first. Equal log-probabilities keep the order
/// they were offered in (row, then token), so the ranking is deterministic and, for one beam,
/// picks the same token as `greedyDecode`'s first maximum.
private struct TopCandidates {
    struct Candidate { var row: Int, token: Int, logP: Double }
    let capacity: Int
    var items: [Candidate] = []

    init(capacity: Int) { self.capacity = capacity; items.reserveCapacity(capacity + 1) }

    mutating func offer(row: Int, token: Int, logP: Double) {
        // Most candidates lose to the current last one: one comparison, no insertion.
        if items.count == capacity, logP <= items[capacity - 1].logP { return }
        var lo = 0, hi = items.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if items[mid].logP >= logP { lo = mid + 1 } else { hi = mid }
        }
        items.insert(Candidate(row: row, token: token, logP: logP), at: lo)
        if items.count > capacity { items.removeLast() }
    }
}

/// One `decodeStep`'s output, read in place (no copy of the [B, V] log-probabilities).
private struct StepView {
    let logProbabilities: Tensor
    let attentionWeights: Tensor?
    let vocabularySize: Int
    /// False for the forbidden ids: their log-probability counts as -infinity.
    let allowed: [Bool]

    init(_ logProbabilities: Tensor, attention: Tensor?, rows: Int, forbidden: [Int]) {
        precondition(logProbabilities.rank == 2 && logProbabilities.shape[0] == rows,
                     "decodeStep gave log-probabilities of shape \(logProbabilities.shape) for \(rows) rows; expected [\(rows), V]")
        if let a = attention {
            precondition(a.rank == 2 && a.shape[0] == rows,
                         "decodeStep gave attention of shape \(a.shape) for \(rows) rows; expected [\(rows), S]")
        }
        self.logProbabilities = logProbabilities
        self.attentionWeights = attention
        vocabularySize = logProbabilities.shape[1]
        var allowed = [Bool](repeating: true, count: vocabularySize)
        for id in forbidden where allowed.indices.contains(id) { allowed[id] = false }
        self.allowed = allowed
    }

    /// Calls `body(token, base + logP(token))` for each allowed token of `row` whose
    /// log-probability is finite: -inf (and NaN) entries are never candidates, so a row of
    /// nothing but -inf simply has none.
    func forEachCandidate(row: Int, base: Double, _ body: (Int, Double) -> Void) {
        withExtendedLifetime(logProbabilities) {
            let p = logProbabilities.data + row * vocabularySize
            for v in 0..<vocabularySize where allowed[v] {
                let lp = p[v]
                if lp.isFinite { body(v, base + Double(lp)) }
            }
        }
    }

    /// `row`'s attention over the source's first `length` (real) positions; nil without attention.
    func attention(row: Int, length: Int) -> [Float]? {
        guard let a = attentionWeights else { return nil }
        precondition(length <= a.shape[1], "attention over \(a.shape[1]) positions for a source of length \(length)")
        return withExtendedLifetime(a) { Array(UnsafeBufferPointer(start: a.data + row * a.shape[1], count: length)) }
    }
}
