import Foundation

/// One line of `repro verify`'s table.
public struct VerifyRow: Codable, Equatable {
    public var experiment: String
    /// "expect" for an assertion on one run, "claim" for a comparison of variants.
    public var kind: String
    public var seeds: [UInt64]
    public var text: String
    public var passed: Bool
}

/// Runs experiments on the given seeds and checks them: each run's expectations, and each
/// claim on the variants' means over the seeds (the outcome observed now must be the one the
/// card records).
public struct Verifier {
    public let runner: ExperimentRunner
    public let artifacts: URL
    public let threads: Int
    public let progress: Bool

    public init(runner: ExperimentRunner, artifacts: URL, threads: Int, progress: Bool) {
        self.runner = runner; self.artifacts = artifacts; self.threads = threads; self.progress = progress
    }

    public func verify(_ card: PaperCard, _ e: ExperimentSpec, seeds: [UInt64], quick: Bool) throws -> [VerifyRow] {
        var rows: [VerifyRow] = []
        if e.isStudy {
            let study = try runner.runStudy(card: card, experiment: e, seeds: seeds, quick: quick, threads: threads,
                                            artifacts: artifacts, progress: progress)
            if study.outcome != "completed" {
                rows.append(VerifyRow(experiment: e.name, kind: "claim", seeds: seeds,
                                      text: study.message ?? study.outcome, passed: false))
            }
            for c in study.claims {
                rows.append(VerifyRow(experiment: e.name, kind: "claim", seeds: seeds, text: c.text,
                                      passed: c.matchesRecorded))
            }
            for a in study.assertions {
                rows.append(VerifyRow(experiment: e.name, kind: "expect", seeds: seeds, text: a.text, passed: a.passed))
            }
            if progress { runner.log("study: \(study.studyDirectory)/report.md") }
            if study.outcome == "interrupted" { return rows }
        }
        let expectations = e.expectations(quick: quick, variant: nil)
        if !expectations.isEmpty || !e.isStudy {
            let summaries = try runner.runSeeds(card: card, experiment: e, seeds: seeds, quick: quick, threads: threads,
                                                artifacts: artifacts, progress: progress)
            for s in summaries {
                if s.outcome != "completed" {
                    rows.append(VerifyRow(experiment: e.name, kind: "expect", seeds: [s.seed],
                                          text: s.message ?? s.outcome, passed: false))
                }
                for a in s.assertions {
                    rows.append(VerifyRow(experiment: e.name, kind: "expect", seeds: [s.seed],
                                          text: a.text, passed: a.passed))
                }
                if expectations.isEmpty {
                    rows.append(VerifyRow(experiment: e.name, kind: "expect", seeds: [s.seed],
                                          text: "no \(quick ? "expect_quick" : "expect") assertions in the card",
                                          passed: false))
                }
            }
        }
        return rows
    }
}
