import Foundation

/// The pictures and text of a translation run: alignment matrices (Bahdanau et al. Figure 3),
/// BLEU by source length (Figure 2), and sample translations for the report.
enum TranslationDrawings {
    /// "test_bleu_len_10_19" for source lengths 10…19, "test_bleu_len_50_up" for the last,
    /// open bucket.
    static func bucketMetric(lower: Int, upper: Int?) -> String {
        "test_bleu_len_\(lower)_" + (upper.map { String($0 - 1) } ?? "up")
    }

    /// The test sentences drawn: the first `count` whose source has 6 to 16 tokens, so every
    /// token label stays legible.
    static func chosen<M>(_ task: TranslationTask<M>, count: Int) -> [Int] {
        Array(task.data.testIDs.indices.filter { (6...16).contains(task.data.testIDs[$0].source.count) }.prefix(count))
    }

    /// A token's text for an axis label: the word without its space mark.
    static func label(_ id: Int, _ t: any Tokenizer) -> String {
        guard id >= 0 && id < t.vocabulary.count else { return "<unk>" }
        let s = t.vocabulary[id]
        return s.hasPrefix(String(PreTokenizer.spaceMark)) && s.count > 1 ? String(s.dropFirst()) : s
    }

    /// `alignments.png`: for each chosen sentence, the weights α_ij of every output word
    /// (rows, `<eos>` last) over the source words (columns), white = 1 as in the paper.
    /// Nil for a model without attention.
    static func alignments<M>(_ task: TranslationTask<M>, _ hyps: [Hypothesis], in folder: URL) throws -> String? {
        let picked = chosen(task, count: task.settings.alignments)
        guard !picked.isEmpty, picked.allSatisfy({ hyps[$0].attention?.isEmpty == false }) else { return nil }
        let src = task.data.sourceTokenizer, tgt = task.data.targetTokenizer
        var panels: [Canvas] = []
        for i in picked {
            let rows = hyps[i].attention!
            let cols = task.data.testIDs[i].source.count
            let values = Tensor(rows.flatMap { Array($0.prefix(cols)) + [Float](repeating: 0, count: Swift.max(0, cols - $0.count)) },
                                shape: [rows.count, cols])
            let rowLabels = hyps[i].tokens.map { label($0, tgt) } + (rows.count > hyps[i].tokens.count ? ["<eos>"] : [])
            let map = try Heatmap(values, rowLabels: Array(rowLabels.prefix(rows.count)),
                                  colLabels: task.data.testIDs[i].source.map { label($0, src) },
                                  title: "\(task.data.test.references[i])", xLabel: "source", yLabel: "output",
                                  colormap: .gray, range: 0...1, cellSize: 22)
            panels.append(map.canvas)
        }
        let columns = Swift.min(2, panels.count)
        let width = panels.map(\.width).max()!, height = panels.map(\.height).max()!
        let gridRows = (panels.count + columns - 1) / columns
        var canvas = Canvas(width: columns * width, height: 34 + gridRows * height)
        _ = try canvas.drawText("Alignments α_ij of test sentences (white = 1; rows: output words, columns: source words)",
                                x: Double(columns * width) / 2, y: 22, size: 15, align: .center)
        for (k, p) in panels.enumerated() { canvas.draw(p, x: (k % columns) * width, y: 34 + (k / columns) * height) }
        try canvas.write(to: folder.appendingPathComponent("alignments.png").path)
        return "alignments.png"
    }

    /// `attention_heads.png`: for the first chosen test sentence, teacher-forced on the model's
    /// own output, each map of `AttentionHeadsModel.attentionHeads` as one row of panels, one
    /// panel per head, tokens on both axes (Vaswani et al. Figures 3-5). Nil for other models.
    static func attentionHeads<M>(_ task: TranslationTask<M>, _ hyps: [Hypothesis], in folder: URL) throws -> String? {
        guard let model = task.translator as? any AttentionHeadsModel,
              let i = chosen(task, count: 1).first else { return nil }
        let source = task.data.testIDs[i].source, output = hyps[i].tokens
        let t = task.data.targetTokenizer
        let pair = Seq2SeqBatch([(source, output)], pad: t.pad, bos: t.bos, eos: t.eos)
        let wasTraining = model.isTraining
        model.eval()
        defer { model.train(wasTraining) }
        let maps = withNoGrad { model.attentionHeads(pair) }
        guard !maps.isEmpty else { return nil }
        let labels: [AttentionHeads.Side: [String]] = [
            .source: source.map { label($0, task.data.sourceTokenizer) },
            .target: output.map { label($0, t) } + ["<eos>"],
        ]
        var rows: [[Canvas]] = []
        for map in maps {
            let (h, tq, tk) = (map.weights.shape[0], map.weights.shape[1], map.weights.shape[2])
            let all = map.weights.scalars
            rows.append(try (0..<h).map { head in
                let values = Tensor(Array(all[(head * tq * tk)..<((head + 1) * tq * tk)]), shape: [tq, tk])
                return try Heatmap(values, rowLabels: labels[map.rows], colLabels: labels[map.columns],
                                   title: "\(map.title), head \(head + 1)", colormap: .gray, range: 0...1,
                                   cellSize: 18, colorbar: head == h - 1).canvas
            })
        }
        let width = rows.map { $0.map(\.width).reduce(0, +) }.max()!
        let heights = rows.map { $0.map(\.height).max()! }
        var canvas = Canvas(width: width, height: 34 + heights.reduce(0, +))
        _ = try canvas.drawText("Attention per head, \(task.data.test.references[i]) (white = 1; rows attend over columns)",
                                x: Double(width) / 2, y: 22, size: 15, align: .center)
        var y = 34
        for (r, panels) in rows.enumerated() {
            var x = 0
            for p in panels { canvas.draw(p, x: x, y: y); x += p.width }
            y += heights[r]
        }
        try canvas.write(to: folder.appendingPathComponent("attention_heads.png").path)
        return "attention_heads.png"
    }

    /// `bleu_by_length.png`: test BLEU per source-length bucket, at the bucket's middle.
    static func bleuByLength(history: MetricsHistory, edges: [Int], in folder: URL) throws -> String? {
        guard let last = history.lastEval else { return nil }
        var points: [(x: Double, y: Double)] = []
        for (k, lower) in edges.enumerated() {
            let upper: Int? = k + 1 < edges.count ? edges[k + 1] : nil
            guard let v = last[bucketMetric(lower: lower, upper: upper)] else { continue }
            // The bucket's middle length: words lower…upper−1 (an open last bucket: 10 wide).
            let last: Int = (upper ?? lower + 10) - 1
            points.append((x: Double(lower + last) / 2, y: v))
        }
        guard points.count >= 2 else { return nil }
        var plot = LinePlot(title: "BLEU by source sentence length (test)", xLabel: "source words",
                            yLabel: "BLEU", yRange: 0...Swift.max(1, points.map(\.y).max()! * 1.15))
        plot.add("this run", points, markers: true)
        try plot.render().write(to: folder.appendingPathComponent("bleu_by_length.png").path)
        return "bleu_by_length.png"
    }

    /// `translations.md`: source, reference and output of the first test sentences, which the
    /// report shows inline.
    static func samples<M>(_ task: TranslationTask<M>, _ hyps: [Hypothesis], in folder: URL) throws -> String {
        var md = "| | |\n|---|---|\n"
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") }
        for i in 0..<Swift.min(task.settings.samples, hyps.count) {
            let pair = task.data.test.pairs[i]
            md += "| **\(cell(task.data.test.references[i]))** source | \(cell(pair.source)) |\n"
            md += "| reference | \(cell(pair.target)) |\n"
            md += "| output | \(cell(task.text(hyps[i]))) |\n"
        }
        try AtomicWrite.write(Data(md.utf8), to: folder.appendingPathComponent("translations.md"))
        return "translations.md"
    }

    /// `test_hypotheses.json`: for the first test sentences, the source ids, the output ids and
    /// the model's log-probability of that output (`<eos>` included when finished), so a
    /// checkpoint loaded elsewhere (bench/pytorch_transformer.py `check`) can be compared with
    /// what this run computed.
    static func hypotheses<M>(_ task: TranslationTask<M>, _ hyps: [Hypothesis], in folder: URL) throws -> String {
        let n = Swift.min(task.settings.samples, hyps.count)
        let file = HypothesesFile(beam_size: task.settings.beamSize, length_penalty: task.settings.lengthPenalty,
                        sentences: (0..<n).map { i in
                            HypothesesFile.Sentence(reference: task.data.test.references[i], source: task.data.testIDs[i].source,
                                     output: hyps[i].tokens, finished: hyps[i].finished,
                                     log_probability: hyps[i].logProbability)
                        })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try AtomicWrite.write(try encoder.encode(file), to: folder.appendingPathComponent("test_hypotheses.json"))
        return "test_hypotheses.json"
    }

    /// The content of `test_hypotheses.json`.
    struct HypothesesFile: Encodable {
        struct Sentence: Encodable {
            let reference: String, source: [Int], output: [Int], finished: Bool
            let log_probability: Double
        }
        let beam_size: Int, length_penalty: Double, sentences: [Sentence]
    }
}
