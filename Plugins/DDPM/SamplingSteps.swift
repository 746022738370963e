// Denoising Diffusion Probabilistic Models
// Jonathan Ho, Ajay Jain, Pieter Abbeel — NeurIPS 2020, arXiv:2006.11239
//
// ddpm-steps: sample quality against the number of sampling steps, DDIM (Song et al. 2021,
// arXiv:2010.02502, η = 0) beside ancestral sampling on the respaced schedule, from one trained
// network: the FID of the fixed classifier at each count, as metrics and a figure.
import Foundation
import ReproKit

extension DiffusionTask {
    /// The samplers the sweep compares, in the figure's order.
    static let sweptSamplers = ["ddim", "ancestral"]

    /// FID of `quality_samples` samples (the same x_T stream each time) for every sampler and
    /// step count of `steps_sweep`: `fid_ddim_10`, `fid_ancestral_10`, … The configured sampler
    /// at `sample_steps` draws the very samples already scored as `known`, so it is not redrawn.
    func scoreSamplingSteps(_ quality: SampleQuality, known: Double) throws -> [String: Double] {
        sweep = []
        var metrics: [String: Double] = [:]
        for sampler in Self.sweptSamplers {
            for steps in config.steps_sweep {
                let fid = sampler == config.sampler && steps == config.sample_steps ? known
                    : quality.score(samples(config.quality_samples, seed: Self.qualitySeed, sampler: sampler, steps: steps).images).fid
                sweep.append((sampler, steps, fid))
                metrics["fid_\(sampler)_\(steps)"] = fid
            }
        }
        return metrics
    }

    /// `fid-by-steps.png`: FID against steps (log scale on both axes), one line per sampler.
    func drawSamplingSteps(in folder: URL) throws -> [String] {
        guard !sweep.isEmpty else { return [] }
        var plot = LinePlot(title: "FID of \(config.quality_samples) EMA samples by sampling steps",
                            subtitle: "the fixed Fashion-MNIST classifier's features (not Inception FID)",
                            xLabel: "sampling steps", yLabel: "FID (lower is better)", logY: true)
        for sampler in Self.sweptSamplers {
            let rows = sweep.filter { $0.sampler == sampler }.sorted { $0.steps < $1.steps }
            plot.add(sampler == "ddim" ? "DDIM (η = 0)" : "ancestral (respaced)",
                     x: rows.map { Double($0.steps) }, y: rows.map(\.fid), markers: true)
        }
        let name = "fid-by-steps.png"
        try plot.render().write(to: folder.appendingPathComponent(name).path)
        return [name]
    }
}
