import XCTest
import Foundation
import ReproKit

/// The DDPM U-Net against its PyTorch twin (Tests/Fixtures/unet_golden.json from
/// scripts/golden/unet.py: names, output, L_simple and every gradient), the timestep embedding's
/// values, the shapes and names of a deeper config, dropout by mode, and the ops it rests on
/// that nothing else uses this way (concatenation of NCHW maps along the channels).
final class UNetTests: XCTestCase {
    struct Named: Decodable {
        let name: String
        let shape: [Int]
        let data: [Float]
    }

    struct Config: Decodable {
        let image_channels: Int, image_size: Int, base_channels: Int, channel_multipliers: [Int]
        let res_blocks: Int, attention_resolutions: [Int], groups: Int, heads: Int
    }

    struct Golden: Decodable {
        let generator: String
        let config: Config
        let images: GoldenTensor
        let timesteps: [Int]
        let noise: GoldenTensor
        let parameters: [Named]
        let output: GoldenTensor
        let loss: Double
        let grads: [String: GoldenTensor]
    }

    static let golden: Golden = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/unet_golden.json")
        return try! JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    }()

    func testModelMatchesPyTorch() throws {
        let g = Self.golden, c = g.config
        var rng = RNG(seed: 0)
        let model = UNet(UNetConfig(imageChannels: c.image_channels, imageSize: c.image_size, baseChannels: c.base_channels,
                                    channelMultipliers: c.channel_multipliers, resBlocks: c.res_blocks,
                                    attentionResolutions: c.attention_resolutions, dropout: 0, groups: c.groups,
                                    heads: c.heads), rng: &rng)
        let ours = model.namedParameters()
        XCTAssertEqual(ours.map(\.0), g.parameters.map(\.name), "state-dict names, in PyTorch's order")
        let theirs = Dictionary(uniqueKeysWithValues: g.parameters.map { ($0.name, $0) })
        for (name, p) in ours {
            let t = try XCTUnwrap(theirs[name], name)
            XCTAssertEqual(p.shape, t.shape, name)
            p.assign(Tensor(t.data, shape: t.shape))
        }
        model.train()   // dropout 0: training mode must equal PyTorch's eval
        let out = model(g.images.tensor, timesteps: g.timesteps)
        assertMatchesGolden(out, g.output, "output")
        let loss = (out - g.noise.tensor).pow(2).mean()
        XCTAssertEqual(Double(loss.item()), g.loss, accuracy: 1e-5 * g.loss, "L_simple")
        try loss.backward()
        for (name, p) in ours {
            let grad = try XCTUnwrap(p.grad, "no gradient for \(name)")
            assertMatchesGolden(grad, try XCTUnwrap(g.grads[name], name), rtol: 2e-4, "grad \(name)")
        }
    }

    /// get_timestep_embedding's layout: sines then cosines, frequencies 10000^(−i/(half − 1)).
    func testTimestepEmbeddingValues() {
        let e = timestepEmbedding([0, 5, 999], dim: 8)
        XCTAssertEqual(e.shape, [3, 8])
        XCTAssertEqual(Array(e.scalars[0..<8]), [0, 0, 0, 0, 1, 1, 1, 1])
        let freqs = [1, 0.046_415_888_336_127_8, 0.002_154_434_690_031_88, 0.000_1]   // 10000^(−i/3)
        for (row, t) in [(1, 5.0), (2, 999.0)] {
            for (i, f) in freqs.enumerated() {
                XCTAssertEqual(e.scalars[row * 8 + i], Float(sin(t * f)), accuracy: 1e-6, "sin t=\(t) i=\(i)")
                XCTAssertEqual(e.scalars[row * 8 + 4 + i], Float(cos(t * f)), accuracy: 1e-6, "cos t=\(t) i=\(i)")
            }
        }
    }

    /// Three levels, two blocks each: the output has the input's shape, the up path's last
    /// block of each level takes the channels the down path had entering that level, and
    /// attention sits only where asked (8×8 here) and in the middle.
    func testDeeperConfigShapesAndNames() throws {
        var rng = RNG(seed: 1)
        let config = UNetConfig(imageChannels: 1, imageSize: 32, baseChannels: 8, channelMultipliers: [1, 2, 2],
                                resBlocks: 2, attentionResolutions: [8], dropout: 0.1, groups: 4, heads: 2)
        XCTAssertNil(config.problem)
        let model = UNet(config, rng: &rng)
        let shapes = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.0, $0.1.shape) })
        XCTAssertEqual(shapes["up.0.block.2.conv1.weight"], [8, 16, 3, 3])    // 8 from above + 8 from conv_in
        XCTAssertEqual(shapes["up.1.block.2.conv1.weight"], [16, 24, 3, 3])   // 16 + the 8 of down.0.downsample
        XCTAssertEqual(shapes["up.2.block.0.conv1.weight"], [16, 32, 3, 3])
        XCTAssertEqual(shapes["up.0.block.2.nin_shortcut.weight"], [8, 16, 1, 1], "16 channels in, 8 out: a 1×1 shortcut")
        XCTAssertNil(shapes["down.2.block.1.nin_shortcut.weight"], "16 channels in and out: the identity")
        XCTAssertEqual(Set(shapes.keys.filter { $0.hasSuffix("in_proj_weight") }),
                       ["down.2.attn.0.attn.in_proj_weight", "down.2.attn.1.attn.in_proj_weight",
                        "mid.attn_1.attn.in_proj_weight", "up.2.attn.0.attn.in_proj_weight",
                        "up.2.attn.1.attn.in_proj_weight", "up.2.attn.2.attn.in_proj_weight"])
        XCTAssertNil(shapes["down.2.downsample.conv.weight"])
        XCTAssertNil(shapes["up.0.upsample.conv.weight"])
        let x = randomTensor([2, 1, 32, 32], seed: 2)
        model.eval()
        let y = model(x, timesteps: [10, 500])
        XCTAssertEqual(y.shape, [2, 1, 32, 32])
        XCTAssertEqual(model(x, timesteps: [10, 500]).scalars, y.scalars, "eval is deterministic")
        XCTAssertNotEqual(model(x, timesteps: [11, 500]).scalars, y.scalars, "the timestep matters")
        model.train()
        XCTAssertNotEqual(model(x, timesteps: [10, 500]).scalars, y.scalars, "dropout 0.1 acts in training")

        XCTAssertNotNil(UNetConfig(baseChannels: 12, groups: 8).problem, "12 channels in 8 groups")
        XCTAssertNotNil(UNetConfig(imageSize: 28, channelMultipliers: [1, 2, 2, 2]).problem, "28 halves only twice")
    }

    /// The U-Net joins skip connections as NCHW maps along axis 1, where a channel block is
    /// strided inside each image: the backward must hand each input its own channels.
    func testConcatAlongChannelsOfFeatureMaps() {
        let a = randomTensor([2, 3, 2, 2], seed: 31), b = randomTensor([2, 1, 2, 2], seed: 32)
        let y = Tensor.concat([a, b], axis: 1)
        XCTAssertEqual(y.shape, [2, 4, 2, 2])
        XCTAssertEqual(Array(y.scalars[12..<16]), Array(b.scalars[0..<4]), "image 0's last channel is b's")
        XCTAssertEqual(Array(y.scalars[16..<28]), Array(a.scalars[12..<24]), "image 1 starts with a's")
        assertGradients([a, b]) { Tensor.concat($0, axis: 1) }
    }
}
