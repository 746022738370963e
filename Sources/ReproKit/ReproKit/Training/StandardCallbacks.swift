import Foundation

/// A progress bar with rate and ETA on a terminal; plain periodic lines otherwise (CI logs,
/// pipes), so that logs stay readable.
public final class ProgressPrinter: TrainerCallback {
    private let label: String
    private let isTerminal: Bool
    private let write: (String) -> Void
    private var lastDraw = 0.0, epochStart = 0.0, runStart = 0.0
    private var examplesThisEpoch = 0, stepsThisEpoch = 0
    private var smoothLoss: Double?
    private var nextPlainLine = 0

    public init(label: String, isTerminal: Bool = isatty(STDOUT_FILENO) != 0,
                write: @escaping (String) -> Void = { FileHandle.standardOutput.write(Data($0.utf8)) }) {
        self.label = label
        self.isTerminal = isTerminal
        self.write = write
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }

    public func runStart(_ t: Trainer) {
        runStart = Self.now()
        // A resumed run starts mid-epoch, without an epochStart: rates count from here.
        epochStart = runStart; examplesThisEpoch = 0; stepsThisEpoch = 0
        nextPlainLine = Swift.max(1, t.plan.stepsPerEpoch / 4)
        write("\(label): \(t.plan.epochs) epoch(s) × \(t.plan.stepsPerEpoch) steps, from step \(t.step)\n")
    }

    public func epochStart(_ t: Trainer, epoch: Int) {
        epochStart = Self.now(); examplesThisEpoch = 0; stepsThisEpoch = 0
        nextPlainLine = Swift.max(1, t.plan.stepsPerEpoch / 4)
    }

    public func stepEnd(_ t: Trainer, metrics: [String: Double]) {
        stepsThisEpoch += 1
        examplesThisEpoch += t.lastStepExamples
        if let l = metrics["loss"] { smoothLoss = smoothLoss.map { 0.9 * $0 + 0.1 * l } ?? l }
        let per = t.plan.stepsPerEpoch
        let done = t.step - t.epoch * per
        let elapsed = Self.now() - epochStart
        let rate = elapsed > 0 ? Double(examplesThisEpoch) / elapsed : 0
        let stepRate = elapsed > 0 ? Double(stepsThisEpoch) / elapsed : 0
        let remaining = stepRate > 0 ? Double(t.plan.totalSteps - t.step) / stepRate : 0
        let loss = smoothLoss.map { String(format: "%.4f", $0) } ?? "-"
        let rateText = examplesThisEpoch > 0 ? String(format: "%.0f ex/s", rate) : String(format: "%.1f it/s", stepRate)
        if isTerminal {
            let now = Self.now()
            guard now - lastDraw > 0.2 || done == per else { return }
            lastDraw = now
            let width = 24, filled = per > 0 ? width * done / per : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\u{1B}[2Kepoch \(t.epoch + 1)/\(t.plan.epochs) \(bar) \(done)/\(per)  loss \(loss)  \(rateText)  ETA \(Self.clock(remaining))")
        } else if stepsThisEpoch >= nextPlainLine || done == per {
            nextPlainLine += Swift.max(1, per / 4)
            write("epoch \(t.epoch + 1)/\(t.plan.epochs) step \(done)/\(per)  loss \(loss)  \(rateText)  ETA \(Self.clock(remaining))\n")
        }
    }

    public func evalEnd(_ t: Trainer, metrics: [String: Double]) {
        let text = metrics.keys.sorted().map { String(format: "%@ %.4f", $0, metrics[$0]!) }.joined(separator: "  ")
        write((isTerminal ? "\r\u{1B}[2K" : "") + "eval @ step \(t.step) (epoch \(t.epoch + 1)): \(text)\n")
    }

    public func runEnd(_ t: Trainer, outcome: TrainerOutcome) {
        if isTerminal { write("\r\u{1B}[2K") }
        write(String(format: "\(label): %@ after %d steps in %.1f s\n",
                     outcome == .completed ? "done" : "stopped", t.step, Self.now() - runStart))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
            : String(format: "%d:%02d", s / 60, s % 60)
    }
}

/// Appends each new history record to `metrics.jsonl` as it is made, so a crash loses
/// at most the current step.
public final class MetricsLogWriter: TrainerCallback {
    private let url: URL
    private var written: Int

    /// `alreadyWritten`: records of a resumed run's history that the file already holds.
    public init(url: URL, alreadyWritten: Int = 0) {
        self.url = url
        self.written = alreadyWritten
        if !FileManager.default.fileExists(atPath: url.path) {
            _ = FileManager.default.createFile(atPath: url.path, contents: nil)  // a failure shows at the first write
        }
    }

    private func flush(_ t: Trainer) throws {
        let records = t.history.records
        guard written < records.count else { return }
        let text = try Self.lines(records[written...])
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: text)
        written = records.count
    }

    public func stepEnd(_ t: Trainer, metrics: [String: Double]) throws { try flush(t) }
    public func evalEnd(_ t: Trainer, metrics: [String: Double]) throws { try flush(t) }
    public func runEnd(_ t: Trainer, outcome: TrainerOutcome) throws { try flush(t) }

    /// Rewrites the log at `url` to hold exactly `history`, atomically (`AtomicWrite`): a
    /// kill leaves either the old log or the new one.
    public static func replace(_ url: URL, with history: MetricsHistory) throws {
        try AtomicWrite.write(lines(history.records[...]), to: url)
    }

    /// Records as the log's lines: one JSON object each, keys sorted.
    private static func lines(_ records: ArraySlice<MetricsHistory.Record>) throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        var text = Data()
        for r in records { text.append(try enc.encode(r)); text.append(0x0A) }
        return text
    }

    /// Reads a metrics log back.
    public static func read(_ url: URL) throws -> MetricsHistory {
        let text = try String(contentsOf: url, encoding: .utf8)
        var h = MetricsHistory()
        for line in text.split(separator: "\n") where !line.isEmpty {
            h.append(try JSONDecoder().decode(MetricsHistory.Record.self, from: Data(line.utf8)))
        }
        return h
    }
}

/// Writes `checkpoint.h5` after every epoch and when a run stops by Ctrl-C or completes,
/// and `best.h5` whenever the plan's best metric improves. A diverged run keeps the last
/// good checkpoint (writing one of its last good step if it diverged in its first epoch).
public final class CheckpointWriter: TrainerCallback {
    public let folder: URL
    private let metadata: CheckpointMetadata
    private var best: Double?

    public init(folder: URL, metadata: CheckpointMetadata) {
        self.folder = folder
        self.metadata = metadata
    }

    public var latest: URL { folder.appendingPathComponent("checkpoint.h5") }

    public var bestURL: URL { folder.appendingPathComponent("best.h5") }

    public func save(_ t: Trainer) throws {
        try Checkpoint.write(t.checkpointContents(metadata: metadata), to: latest)
    }

    public func evalEnd(_ t: Trainer, metrics: [String: Double]) throws {
        guard let name = t.plan.bestMetric, let v = metrics[name], v.isFinite else { return }
        let higher = t.plan.kind(of: name).higherIsBetter
        let better = best.map { higher ? v > $0 : v < $0 } ?? true
        if better {
            best = v
            try Checkpoint.write(t.checkpointContents(metadata: metadata), to: bestURL)
        }
    }

    public func epochEnd(_ t: Trainer, epoch: Int) throws { try save(t) }

    /// A completed run saved at its last epoch's end; an interrupted one saves here.
    public func runEnd(_ t: Trainer, outcome: TrainerOutcome) throws {
        switch outcome {
        case .interrupted: try save(t)
        case .diverged:
            // The guard stops before the bad step, so the parameters are those of the last
            // good step. Save them only when no epoch ended yet (else the run would have no
            // checkpoint to resume or inspect); an existing one is older and known good.
            if !FileManager.default.fileExists(atPath: latest.path),
               t.task.model.parameters.allSatisfy({ $0.scalars.allSatisfy(\.isFinite) }) {
                try save(t)
            }
        case .completed: break
        }
    }
}

/// Calls the task's `draw` every `plan.drawEvery` steps during training (not at the last
/// step: the final drawings come after the run), into the run folder.
public final class DrawingWriter: TrainerCallback {
    public let folder: URL

    public init(folder: URL) { self.folder = folder }

    public func stepEnd(_ t: Trainer, metrics: [String: Double]) throws {
        guard let every = t.plan.drawEvery, every > 0, t.step % every == 0, t.step < t.plan.totalSteps else { return }
        _ = try t.draw(in: folder, final: false)
    }

    /// The drawings in `folder` named by step (`samples-step000500.png`), sorted by name.
    public static func stepDrawings(in folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter(isStepDrawing).sorted()
    }

    /// Whether `name` is what `RunPoint.fileName` gives during training.
    public static func isStepDrawing(_ name: String) -> Bool {
        guard let r = name.range(of: "-step", options: .backwards) else { return false }
        let rest = name[r.upperBound...]
        return rest.count > 7 && rest.prefix(6).allSatisfy(\.isNumber) && rest.dropFirst(6).hasPrefix(".")
    }
}
