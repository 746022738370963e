import XCTest
import Foundation
import ReproKit

/// The DDPM plugin (arXiv:2006.11239): the diffusion maths it samples with (`GaussianDiffusion`:
/// the schedule, q(x_t | x_0), a DDIM step, an ancestral step) against their formulas, the
/// plugin's EMA against its closed form, and `ddpm-mini --quick` through the real binary: its
/// test L_simple falls as the card expects, samples are drawn during training and at the end,
/// and a run stopped by Ctrl-C resumes bit for bit, EMA included.
final class DDPMPluginTests: XCTestCase {
    private var artifacts: URL!

    override func setUpWithError() throws {
        artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("repro-ddpm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: artifacts) }


    // MARK: the diffusion maths

    /// β linear from 1e-4 to 0.02; ᾱ_t = exp Σ_{s≤t} log(1 − β_s); and numpy's
    /// `np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))` at t = 500 and 1000.
    func testScheduleAlphaBarMatchesClosedForm() {
        let d = GaussianDiffusion(timesteps: 1000)
        XCTAssertEqual(d.timesteps, 1000)
        XCTAssertEqual(d.betas.first!, 1e-4, accuracy: 1e-15)
        XCTAssertEqual(d.betas.last!, 0.02, accuracy: 1e-15)
        var logSum = 0.0
        for t in 0..<1000 {
            let beta = 1e-4 + (0.02 - 1e-4) * Double(t) / 999
            XCTAssertEqual(d.betas[t], beta, accuracy: 1e-15, "β at \(t)")
            logSum += log1p(-beta)
            XCTAssertEqual(d.alphasCumprod[t], exp(logSum), accuracy: 1e-12 * max(1, exp(logSum)), "ᾱ at \(t)")
        }
        XCTAssertEqual(d.alphasCumprod[499], 0.07858724288177824, accuracy: 1e-12)
        XCTAssertEqual(d.alphasCumprod[999], 4.035829765375676e-05, accuracy: 1e-15)
        XCTAssertEqual(d.alphaBar(-1), 1)
        // Another T rescales nothing: β still spans the same range.
        let short = GaussianDiffusion(timesteps: 10)
        XCTAssertEqual(short.betas[9], 0.02, accuracy: 1e-15)
        XCTAssertEqual(short.alphasCumprod[1], (1 - 1e-4) * (1 - (1e-4 + 0.0199 / 9)), accuracy: 1e-15)
    }

    /// x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε exactly for the given ε, and over 4096 draws of ε its mean
    /// and variance at each pixel are √ᾱ_t x_0 and 1 − ᾱ_t (within 5 standard errors).
    func testQSampleHasTheForwardProcessStatistics() {
        let d = GaussianDiffusion(timesteps: 1000)
        let n = 4096, pixels = 4
        let image: [Float] = [-1, -0.25, 0.5, 1]
        for t in [0, 99, 499, 999] {
            let x0 = Tensor((0..<n).flatMap { _ in image }, shape: [n, 1, 2, 2])
            var rng = RNG(seed: UInt64(t + 1))
            let eps = Tensor.randn(x0.shape, rng: &rng)
            let xt = d.qSample(x0, timesteps: Array(repeating: t, count: n), noise: eps).scalars
            let a = d.alphasCumprod[t], e = eps.scalars
            for i in [0, 1, 4097] {
                XCTAssertEqual(Double(xt[i]), a.squareRoot() * Double(image[i % pixels]) + (1 - a).squareRoot() * Double(e[i]),
                               accuracy: 1e-5, "x_t at t \(t), element \(i)")
            }
            for p in 0..<pixels {
                let values = (0..<n).map { Double(xt[$0 * pixels + p]) }
                let mean = values.reduce(0, +) / Double(n)
                let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n - 1)
                let sd = (1 - a).squareRoot()
                XCTAssertEqual(mean, a.squareRoot() * Double(image[p]), accuracy: 5 * sd / Double(n).squareRoot(),
                               "mean at t \(t), pixel \(p)")
                XCTAssertEqual(variance, 1 - a, accuracy: 5 * (1 - a) * (2 / Double(n - 1)).squareRoot(),
                               "variance at t \(t), pixel \(p)")
            }
        }
        // One timestep per image: each row gets its own coefficients.
        let x0 = Tensor(shape: [2, 1, 1, 1], repeating: 1), zero = Tensor(shape: [2, 1, 1, 1], repeating: 0)
        XCTAssertEqual(d.qSample(x0, timesteps: [0, 999], noise: zero).scalars.map(Double.init),
                       [d.alphasCumprod[0].squareRoot(), d.alphasCumprod[999].squareRoot()].map { Double(Float($0)) })
    }

    /// With T steps, one DDIM step (η = 0) from t to t − 1 is Song et al.'s eq. 12 computed in
    /// Double; and given the true ε it recovers x_0 and q(x_s | x_0) with the same ε exactly.
    func testDDIMStepIsTheDeterministicFormula() {
        let d = GaussianDiffusion(timesteps: 1000)
        XCTAssertEqual(d.samplingTimesteps(1000), Array((0..<1000).reversed()))
        XCTAssertEqual(d.samplingTimesteps(4), [750, 500, 250, 0])
        var rng = RNG(seed: 3)
        let xt = Tensor.randn([2, 1, 3, 3], rng: &rng), eps = Tensor.randn([2, 1, 3, 3], rng: &rng)
        for t in [1, 500, 999] {
            let out = d.ddimStep(xt, t: t, to: t - 1, epsilon: eps).scalars
            let at = d.alphasCumprod[t], ap = d.alphasCumprod[t - 1]
            for (i, (x, e)) in zip(xt.scalars, eps.scalars).enumerated() {
                let x0 = (Double(x) - (1 - at).squareRoot() * Double(e)) / at.squareRoot()
                let expected = ap.squareRoot() * x0 + (1 - ap).squareRoot() * Double(e)
                XCTAssertEqual(Double(out[i]), expected, accuracy: 2e-5 * max(1, abs(expected)), "t \(t), element \(i)")
            }
        }
        let x0 = Tensor.randn([1, 1, 3, 3], rng: &rng).clamp(min: -1, max: 1)
        let x700 = d.qSample(x0, timesteps: [700], noise: eps.slice(axis: 0, 0..<1))
        assertClose(d.ddimStep(x700, t: 700, to: -1, epsilon: eps.slice(axis: 0, 0..<1)), x0, 1e-4, "x_0 from x_700")
        assertClose(d.ddimStep(x700, t: 700, to: 200, epsilon: eps.slice(axis: 0, 0..<1)),
                    d.qSample(x0, timesteps: [200], noise: eps.slice(axis: 0, 0..<1)), 1e-4, "x_200 from x_700")
    }

    /// Algorithm 2's step: (x_t − β_t/√(1 − ᾱ_t) ε̂)/√α_t + √β_t z, without z at the last step.
    func testAncestralStepIsAlgorithmTwo() {
        let d = GaussianDiffusion(timesteps: 1000)
        var rng = RNG(seed: 4)
        let xt = Tensor.randn([1, 1, 2, 2], rng: &rng), eps = Tensor.randn([1, 1, 2, 2], rng: &rng)
        let z = Tensor.randn([1, 1, 2, 2], rng: &rng)
        for t in [0, 300, 999] {
            let out = d.ancestralStep(xt, t: t, epsilon: eps, noise: z).scalars
            let beta = d.betas[t], abar = d.alphasCumprod[t]
            for i in 0..<4 {
                let mean = (Double(xt.scalars[i]) - beta / (1 - abar).squareRoot() * Double(eps.scalars[i])) / (1 - beta).squareRoot()
                let expected = mean + (t == 0 ? 0 : beta.squareRoot() * Double(z.scalars[i]))
                XCTAssertEqual(Double(out[i]), expected, accuracy: 1e-4 * max(1, abs(expected)), "t \(t), element \(i)")
            }
        }
    }

    /// Ancestral sampling on a respaced schedule: from t to s < t it is Algorithm 2 with
    /// α = ᾱ_t/ᾱ_s, β = 1 − α, σ² = β (Nichol & Dhariwal 2021); from t to t − 1 it is the
    /// paper's own step; and the step to the data (s = −1) adds no noise.
    func testStridedAncestralStepIsAlgorithmTwoRespaced() {
        let d = GaussianDiffusion(timesteps: 1000)
        var rng = RNG(seed: 5)
        let xt = Tensor.randn([1, 1, 2, 2], rng: &rng), eps = Tensor.randn([1, 1, 2, 2], rng: &rng)
        let z = Tensor.randn([1, 1, 2, 2], rng: &rng)
        for (t, s) in [(999, 899), (500, 250), (100, -1), (400, 399)] {
            let out = d.ancestralStep(xt, t: t, to: s, epsilon: eps, noise: z).scalars
            let at = d.alphasCumprod[t], As = s < 0 ? 1 : d.alphasCumprod[s]
            let beta = 1 - at / As
            for i in 0..<4 {
                let mean = (Double(xt.scalars[i]) - beta / (1 - at).squareRoot() * Double(eps.scalars[i])) / (1 - beta).squareRoot()
                let expected = mean + (s < 0 ? 0 : beta.squareRoot() * Double(z.scalars[i]))
                XCTAssertEqual(Double(out[i]), expected, accuracy: 1e-4 * max(1, abs(expected)), "\(t) → \(s), element \(i)")
            }
        }
        assertClose(d.ancestralStep(xt, t: 400, to: 399, epsilon: eps, noise: z),
                    d.ancestralStep(xt, t: 400, epsilon: eps, noise: z), 1e-6, "one step back is the paper's step")
    }

    /// Clipping: x̂_0 implied by the clipped ε̃ is x̂_0 clamped to [−1, 1], element by element;
    /// where x̂_0 is inside, ε̃ = ε̂; a clipped step equals the plain step fed ε̃.
    func testClippedPredictionImpliesAClampedX0() {
        let d = GaussianDiffusion(timesteps: 1000)
        var rng = RNG(seed: 7)
        let xt = Tensor.randn([1, 1, 4, 4], rng: &rng), eps = Tensor.randn([1, 1, 4, 4], rng: &rng)
        for t in [10, 500, 999] {
            let at = d.alphaBar(t)
            func x0(_ e: Tensor) -> [Double] {
                zip(xt.scalars, e.scalars).map { (Double($0) - (1 - at).squareRoot() * Double($1)) / at.squareRoot() }
            }
            let raw = x0(eps), tilde = d.clipped(xt, t: t, epsilon: eps), fromTilde = x0(tilde)
            XCTAssertTrue(raw.contains { abs($0) > 1 }, "the case must clip something at t \(t)")
            for i in 0..<16 {
                XCTAssertEqual(fromTilde[i], min(max(raw[i], -1), 1), accuracy: 2e-3, "x̂_0 at t \(t), element \(i)")
                if abs(raw[i]) < 1 { XCTAssertEqual(tilde.scalars[i], eps.scalars[i], accuracy: 1e-4) }
            }
            assertClose(d.ddimStep(xt, t: t, to: t / 2, epsilon: eps, clip: true),
                        d.ddimStep(xt, t: t, to: t / 2, epsilon: tilde), 1e-6, "DDIM with clip at t \(t)")
            assertClose(d.ancestralStep(xt, t: t, epsilon: eps, noise: eps, clip: true),
                        d.ancestralStep(xt, t: t, epsilon: tilde, noise: eps), 1e-6, "ancestral with clip at t \(t)")
        }
    }

    /// The bound's weight from its definition: for t ≥ 1 (index ≥ 1) the KL term's mean part
    /// ‖μ̃(x_t, x_0) − μ_θ(x_t)‖²/(2β_t), with the posterior mean of eq. 7 and μ_θ of eq. 11,
    /// equals w_t ‖ε − ε_θ‖²; at index 0 the Gaussian decoder's ‖x_0 − μ_θ(x_1)‖²/(2β_1) does.
    func testVLBWeightIsTheBoundsKLTerm() {
        let d = GaussianDiffusion(timesteps: 1000)
        var rng = RNG(seed: 6)
        let x0 = Tensor.randn([1, 1, 2, 2], rng: &rng).scalars.map(Double.init)
        let eps = Tensor.randn([1, 1, 2, 2], rng: &rng).scalars.map(Double.init)
        let epsHat = Tensor.randn([1, 1, 2, 2], rng: &rng).scalars.map(Double.init)
        for t in [0, 1, 10, 500, 999] {
            let beta = d.betas[t], alpha = 1 - beta, ab = d.alphaBar(t), abPrev = d.alphaBar(t - 1)
            var term = 0.0, error = 0.0
            for i in 0..<4 {
                let xt = ab.squareRoot() * x0[i] + (1 - ab).squareRoot() * eps[i]
                let muTheta = (xt - beta / (1 - ab).squareRoot() * epsHat[i]) / alpha.squareRoot()
                let target = t == 0 ? x0[i]
                    : abPrev.squareRoot() * beta / (1 - ab) * x0[i] + alpha.squareRoot() * (1 - abPrev) / (1 - ab) * xt
                term += (target - muTheta) * (target - muTheta) / (2 * beta)
                error += (eps[i] - epsHat[i]) * (eps[i] - epsHat[i])
            }
            XCTAssertEqual(d.vlbWeight(t) * error, term, accuracy: 1e-6 * term, "t index \(t)")
        }
        XCTAssertGreaterThan(d.vlbWeight(0) / d.vlbWeight(999), 40, "the bound weighs clean steps most")
        let mean = d.meanVLBWeight
        XCTAssertEqual(mean, (0..<1000).map(d.vlbWeight).reduce(0, +) / 1000, accuracy: 1e-12)
        let weights = (0..<1000).map(d.vlbWeight)
        XCTAssertTrue(weights.min()! < mean && mean < d.vlbWeight(0) / 10, "mean \(mean)")
    }

    private func assertClose(_ a: Tensor, _ b: Tensor, _ tol: Float, _ what: String,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.shape, b.shape, what, file: file, line: line)
        let worst = zip(a.scalars, b.scalars).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThan(worst, tol, what, file: file, line: line)
    }

    // MARK: the plugin

    /// The plugin's `diffuse` task on synthetic 28×28 images with a tiny U-Net.
    func makeTask(_ settings: [String: ConfigValue]) throws -> TrainingTask {
        try BuiltPlugin.task("DDPM", id: "ddpm", task: "diffuse", settings: [
            ("dataset", .string("synthetic-28x28x1")), ("base_channels", .int(8)),
            ("channel_mult", .list([.int(1), .int(2)])), ("attention_resolutions", .list([])),
            ("groups", .int(4)), ("eval_images", .int(8)), ("quality_samples", .int(0)),
        ] + settings.map { ($0.key, $0.value) })
    }

    /// After k updates with the weights at θ_0·s_i, the EMA is θ_0·(d^k + (1 − d) Σ_i d^(k−i) s_i),
    /// saved under `ema.` + each parameter's name.
    func testEMAAfterKStepsIsTheClosedForm() throws {
        let decay = 0.9
        let task = try makeTask(["ema_decay": .double(decay), "ema_warmup": .bool(false)])
        let params = task.model.namedParameters()
        let initial = params.map { $0.1.copy() }
        let scales: [Float] = [2, -1, 0.5, 3]
        for (i, s) in scales.enumerated() {
            for ((_, p), p0) in zip(params, initial) { p.assign(p0 * s) }
            try task.afterOptimizerStep(step: i + 1)
        }
        let d = Float(decay), k = scales.count
        var factor = pow(d, Float(k))
        for (i, s) in scales.enumerated() { factor += (1 - d) * pow(d, Float(k - i - 1)) * s }
        let state = task.saveState()
        XCTAssertEqual(Set(state.tensors.keys), Set(params.map { "ema." + $0.0 }))
        XCTAssertNotNil(state.rng["noise"])
        for ((name, _), p0) in zip(params, initial) {
            let ema = try XCTUnwrap(state.tensors["ema." + name])
            assertClose(ema, p0 * factor, 1e-5, "EMA of \(name)")
        }
    }

    /// The classifier that scores samples knows Fashion-MNIST only: asked to score another data
    /// set, the task refuses in one line instead of scoring nonsense; so are a sweep with no
    /// samples to score and more steps than the schedule has.
    func testQualityScoringNeedsFashionMNIST() throws {
        XCTAssertThrowsError(try makeTask(["quality_samples": .int(64)])) { error in
            XCTAssertTrue("\(error)".contains("the sample classifier knows Fashion-MNIST only; set quality_samples=0"), "\(error)")
        }
        XCTAssertThrowsError(try makeTask(["steps_sweep": .list([.int(5)])])) { error in
            XCTAssertTrue("\(error)".contains("steps_sweep scores samples: it needs quality_samples above 0"), "\(error)")
        }
        XCTAssertThrowsError(try makeTask(["timesteps": .int(20), "sample_steps": .int(5), "steps_sweep": .list([.int(40)])])) { error in
            XCTAssertTrue("\(error)".contains("40 sampling steps exceed timesteps 20"), "\(error)")
        }
    }

    /// With the warm-up the k-th update decays by min(d, (1 + k)/(10 + k)): 2/11, 3/12, … then d;
    /// after steps 1…k with the weights at θ_0·s_i the average is the product of those factors.
    func testWarmedUpEMAFollowsTheWeightsEarly() throws {
        let decay = 0.5
        let task = try makeTask(["ema_decay": .double(decay)])
        let params = task.model.namedParameters()
        let initial = params.map { $0.1.copy() }
        let scales: [Float] = [2, -1, 0.5, 3]
        var factor: Float = 1
        for (i, s) in scales.enumerated() {
            for ((_, p), p0) in zip(params, initial) { p.assign(p0 * s) }
            try task.afterOptimizerStep(step: i + 1)
            let d = min(Float(decay), Float(2 + i) / Float(11 + i))
            factor = d * factor + (1 - d) * s
        }
        XCTAssertEqual(ExponentialMovingAverage.warmedUpDecay(0.5, step: 1), 2 / 11)
        XCTAssertEqual(ExponentialMovingAverage.warmedUpDecay(0.5, step: 8), 0.5, "capped at the decay")
        XCTAssertEqual(ExponentialMovingAverage.warmedUpDecay(0.9999, step: 90), 0.91, accuracy: 1e-6)
        let state = task.saveState()
        for ((name, _), p0) in zip(params, initial) {
            let ema = try XCTUnwrap(state.tensors["ema." + name])
            assertClose(ema, p0 * factor, 1e-5, "warmed-up EMA of \(name)")
        }
    }

    /// Both samplers run through the plugin's drawing: ancestral sampling over all T (here 20)
    /// steps and DDIM over 5, each an 8×8 grid of 32×32 samples and a strip of 8 rows × 10 (or 6)
    /// states, from the same fixed x_T on every call (the same picture twice) but by different
    /// paths (different pictures).
    func testBothSamplersDrawTheGrid() throws {
        var pixels: [String: [UInt8]] = [:]
        for (sampler, steps) in [("ancestral", 20), ("ddim", 5)] {
            let task = try makeTask(["sampler": .string(sampler), "timesteps": .int(20), "sample_steps": .int(steps)])
            var drawn: [[UInt8]] = []
            for call in 0..<2 {
                let dir = artifacts.appendingPathComponent("\(sampler)-\(call)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                let names = try task.draw(in: dir, at: RunPoint(step: 7, epoch: 0, totalSteps: 7, isFinal: true),
                                          history: MetricsHistory())
                XCTAssertEqual(names, ["samples.png", "trajectory.png"])
                let image = try PNGImage(contentsOfFile: dir.appendingPathComponent("samples.png").path)
                XCTAssertGreaterThanOrEqual(image.width, 8 * 64, sampler)
                XCTAssertGreaterThanOrEqual(image.height, 8 * 64, sampler)
                let strip = try PNGImage(contentsOfFile: dir.appendingPathComponent("trajectory.png").path)
                // 10 states, or x_T and each of DDIM's 5 steps.
                let columns = min(10, steps + 1)
                XCTAssertGreaterThanOrEqual(strip.width, columns * 64, sampler)
                XCTAssertLessThan(strip.width, (columns + 1) * 64, sampler)
                XCTAssertGreaterThanOrEqual(strip.height, 8 * 64, sampler)
                XCTAssertLessThan(strip.height, 9 * 64 + 40, sampler)
                drawn.append(image.pixels + strip.pixels)
            }
            XCTAssertEqual(drawn[0], drawn[1], "\(sampler): the same x_T must give the same samples")
            pixels[sampler] = drawn[0]
        }
        XCTAssertNotEqual(pixels["ancestral"], pixels["ddim"])
    }

    /// `ddpm-mini --quick` passes its card, its test L_simple ends well below its value at
    /// initialisation, and it draws the 8×8 grid during training and at the end.
    func testQuickRunPassesItsCardAndDrawsSamples() throws {
        let o = try CLITests.Running(["run", "ddpm-mini", "--quick", "--seed", "0", "--set", "draw_every=32"],
                                     papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        XCTAssertTrue(summary.passed, "\(summary.assertions)")
        XCTAssertEqual(summary.assertions.map(\.metric), ["ema_test_loss"])
        let initial = try XCTUnwrap(summary.metrics["init_test_loss"]), final = try XCTUnwrap(summary.metrics["ema_test_loss"])
        XCTAssertGreaterThan(initial, 0.5, "an untrained ε-network scores about E‖ε‖² = 1")
        XCTAssertLessThan(final, initial / 4)
        // The fixed classifier scored 128 samples: a finite FID, a confidence and a class share
        // that are fractions (a quick run's samples are not yet clothing: no floor here).
        let fid = try XCTUnwrap(summary.metrics["fid"]), confidence = try XCTUnwrap(summary.metrics["sample_confidence"])
        let top = try XCTUnwrap(summary.metrics["top_class_fraction"])
        XCTAssertTrue(fid.isFinite && fid > 0, "fid \(fid)")
        XCTAssertTrue(confidence > 0.1 && confidence <= 1, "confidence \(confidence)")
        XCTAssertTrue(top >= 0.1 && top <= 1, "top class share \(top)")
        for png in ["samples.png", "samples-step000032.png"] {
            let image = try PNGImage(contentsOfFile: folder.appendingPathComponent(png).path)
            // 8 × 8 tiles of 32×32 pixels at scale 2, a few pixels of gaps, border and title, and
            // under each tile the class the fixed classifier sees in it (a line of text).
            XCTAssertGreaterThanOrEqual(image.width, 8 * 64, png)
            XCTAssertLessThan(image.width, 8 * 64 + 60, png)
            XCTAssertGreaterThanOrEqual(image.height, 8 * 64 + 8 * 8, png)
            XCTAssertLessThan(image.height, 8 * 64 + 8 * 20 + 100, png)
        }
        XCTAssertTrue(summary.drawings.contains("samples.png"), "\(summary.drawings)")
        XCTAssertTrue(summary.drawings.contains("trajectory.png"), "\(summary.drawings)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("trajectory-step000032.png").path),
                       "the strip is drawn at the end only")

        // `repro sample` draws from the finished run's checkpoint: the same seed gives the same
        // pictures, another seed others; the grid has the asked-for count of tiles.
        func sample(_ extra: String...) throws -> (CLITests.Output, [String]) {
            let o = try CLITests.Running(["sample", folder.path, "--set", "sample_steps=5"] + extra,
                                         papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
            return (o, o.stdout.split(separator: "\n").map(String.init).filter { $0.hasSuffix(".png") })
        }
        let (first, files) = try sample("--n", "16", "--seed", "3")
        XCTAssertEqual(first.status, 0, first.stdout + first.stderr)
        XCTAssertEqual(files.map { URL(fileURLWithPath: $0).lastPathComponent }, ["samples-s3-n16.png", "trajectory-s3-n16.png"])
        let grid = try PNGImage(contentsOfFile: files[0])
        XCTAssertGreaterThanOrEqual(grid.width, 8 * 64)
        XCTAssertGreaterThanOrEqual(grid.height, 2 * 64)
        XCTAssertLessThan(grid.height, 2 * 64 + 120, "16 samples are 2 rows of 8 (3 captioned rows are over 270 pixels)")
        let again = try PNGImage(contentsOfFile: files[0]).pixels
        try FileManager.default.removeItem(atPath: files[0])
        let (_, repeated) = try sample("--n", "16", "--seed", "3")
        XCTAssertEqual(try PNGImage(contentsOfFile: repeated[0]).pixels, again, "the same seed must draw the same samples")
        let (_, other) = try sample("--n", "16", "--seed", "4")
        XCTAssertNotEqual(try PNGImage(contentsOfFile: other[0]).pixels, again, "another seed must draw other samples")

        // Bad input: one line each, exit 1.
        let (bad, _) = try sample("--set", "sampler=langevin")
        XCTAssertEqual(bad.status, 1)
        XCTAssertTrue(bad.stderr.contains("sampler"), bad.stderr)
        let (none, _) = try sample("--n", "0")
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("--n must be between 1 and 4096"), none.stderr)
        let notRun = try CLITests.Running(["sample", artifacts.path], papers: ResNetPluginTests.papers,
                                          artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(notRun.status, 1)
        XCTAssertTrue(notRun.stderr.contains("is not a run folder"), notRun.stderr)
    }

    /// `ddpm-steps --quick`: one network, then the FID of the same x_T by both samplers at 2, 5
    /// and 20 steps: every pair has its FID, DDIM at the card's own 20 steps draws the very
    /// samples `fid` scored, and the figure is drawn.
    func testStepsSweepScoresBothSamplersAtEachCount() throws {
        let o = try CLITests.Running(["run", "ddpm-steps", "--quick", "--seed", "0"],
                                     papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let folder = try XCTUnwrap(o.runFolder, o.stdout)
        let summary = try RunFolder(url: folder).readJSON(RunSummary.self, from: "summary.json")
        let fid = try XCTUnwrap(summary.metrics["fid"])
        XCTAssertEqual(summary.metrics["fid_ddim_20"], fid)
        for key in ["fid_ddim_2", "fid_ddim_5", "fid_ancestral_2", "fid_ancestral_5", "fid_ancestral_20"] {
            let value = try XCTUnwrap(summary.metrics[key], key)
            XCTAssertTrue(value.isFinite && value > 0, "\(key) \(value)")
        }
        XCTAssertNotEqual(summary.metrics["fid_ancestral_20"], fid, "another sampler, other samples")
        let figure = try PNGImage(contentsOfFile: folder.appendingPathComponent("fid-by-steps.png").path)
        XCTAssertEqual(figure.width, 640)
        XCTAssertTrue(summary.drawings.contains("fid-by-steps.png"), "\(summary.drawings)")
    }

    /// `ddpm-loss --quick`: the study trains the same network on L_simple and on the bound,
    /// scores both, and leaves the claim unjudged (quick samples are noise under both losses).
    /// The bound's weighting really trains: from the same seed and batches, its losses differ.
    func testLossStudyTrainsBothObjectivesAndScoresBoth() throws {
        let o = try CLITests.Running(["run", "ddpm-loss", "--quick", "--seed", "0"],
                                     papers: ResNetPluginTests.papers, artifacts: artifacts, env: [:]).wait()
        XCTAssertEqual(o.status, 0, "stdout: \(o.stdout)\nstderr: \(o.stderr)")
        let (study, _) = try o.study()
        XCTAssertEqual(study.outcome, "completed")
        for variant in ["simple", "vlb"] {
            let fid = try XCTUnwrap(study.means[variant]?["fid"], variant)
            XCTAssertTrue(fid.isFinite && fid > 0, "\(variant) fid \(fid)")
            let folder = try XCTUnwrap(study.runs[variant]?.first, variant)
            let record = try RunFolder(url: URL(fileURLWithPath: folder)).readJSON(RunRecord.self, from: "config.json")
            XCTAssertEqual(record.config["loss"], variant)
        }
        let simple = try XCTUnwrap(study.means["simple"]?["final_train_loss"])
        let bound = try XCTUnwrap(study.means["vlb"]?["final_train_loss"])
        XCTAssertNotEqual(simple, bound, "the bound's weights must change the loss")
        let claim = try XCTUnwrap(study.claims.first)
        XCTAssertEqual(claim.recorded, "not judged")
        XCTAssertTrue(claim.text.contains("not judged at quick scale"), claim.text)
    }

    /// Ctrl-C mid-run, resume, and an uninterrupted run end in equal checkpoints: model,
    /// optimizer, random streams, and the task's EMA weights.
    func testResumeAfterCtrlCIsBitIdenticalWithTheEMA() throws {
        // Two epochs of 16 steps, so Ctrl-C (after three log records) lands mid-way through the
        // second; too short for the card's quick floor: both runs end with exit 1 ("an assertion
        // did not hold") after training to the end, which is all this needs.
        let args = ["run", "ddpm-mini", "--quick", "--seed", "3", "--set", "epochs=2", "--set", "train_subset=256",
                    "--set", "batch_size=16", "--set", "eval_images=32", "--set", "sample_steps=2", "--set", "slow_ms=50"]
        let (a, b) = try ResumeCheck.interruptResumeAndCompare(args, experiment: "ddpm-mini", artifacts: artifacts,
                                                               exitStatus: 1)
        XCTAssertEqual(a.step, 32)
        let emaNames = a.task.tensors.keys.filter { $0.hasPrefix("ema.") }.sorted()
        XCTAssertEqual(emaNames, a.tensors.map { "ema." + $0.0 }.sorted())
        for name in emaNames {
            XCTAssertEqual(a.task.tensors[name]?.scalars, b.task.tensors[name]?.scalars, "\(name) differs after resume")
        }
        // The average is not the weights themselves: it would be if the EMA were not applied.
        let weights = Dictionary(uniqueKeysWithValues: a.tensors)
        XCTAssertNotEqual(a.task.tensors["ema.conv_in.weight"]?.scalars, weights["conv_in.weight"]?.scalars)
    }
}
