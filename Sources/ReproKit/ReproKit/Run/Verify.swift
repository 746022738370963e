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
        if !e.claims.isEmpty {
            var means: [String: [String: Double]] = [:]
            for (variant, _) in e.variants {
                var sums: [String: Double] = [:], counts: [String: Int] = [:]
                for seed in seeds {
                    let s = try runner.run(RunRequest(card: card, experiment: e, variant: variant, seed: seed,
                                                      quick: quick, threads: threads, artifacts: artifacts,
                                                      progress: progress))
                    guard s.outcome == "completed" else {
                        rows.append(VerifyRow(experiment: e.name, kind: "claim", seeds: [seed],
                                              text: "\(variant) seed \(seed): \(s.message ?? s.outcome)", passed: false))
                        continue
                    }
                    for (k, v) in s.metrics { sums[k, default: 0] += v; counts[k, default: 0] += 1 }
                }
                means[variant] = sums.reduce(into: [:]) { $0[$1.key] = $1.value / Double(counts[$1.key]!) }
            }
            for claim in e.claims {
                do {
                    let v = try claim.evaluate(means: means)
                    rows.append(VerifyRow(experiment: e.name, kind: "claim", seeds: seeds, text: v.text,
                                          passed: v.matchesRecorded))
                } catch {
                    rows.append(VerifyRow(experiment: e.name, kind: "claim", seeds: seeds,
                                          text: "\(claim.statement): \(error)", passed: false))
                }
            }
        }
        let expectations = quick ? e.expectQuick : e.expect
        if !expectations.isEmpty || e.claims.isEmpty {
            for seed in seeds {
                let s = try runner.run(RunRequest(card: card, experiment: e, seed: seed, quick: quick,
                                                  threads: threads, artifacts: artifacts, progress: progress))
                if s.outcome != "completed" {
                    rows.append(VerifyRow(experiment: e.name, kind: "expect", seeds: [seed],
                                          text: s.message ?? s.outcome, passed: false))
                }
                for a in s.assertions {
                    rows.append(VerifyRow(experiment: e.name, kind: "expect", seeds: [seed],
                                          text: a.text, passed: a.passed))
                }
                if expectations.isEmpty {
                    rows.append(VerifyRow(experiment: e.name, kind: "expect", seeds: [seed],
                                          text: "no \(quick ? "expect_quick" : "expect") assertions in the card",
                                          passed: false))
                }
            }
        }
        return rows
    }
}
