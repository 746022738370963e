import XCTest
import ReproKit

/// The Vision Transformer's pictures: attention rollout (Abnar & Zuidema 2020), attention
/// maps over their images (ViT Figure 6) and position-embedding similarity (Figure 7,
/// centre). Every picture is written to a PNG and checked from the file read back.
final class AttentionDrawingTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = try makeTemporaryFolder("repro-attention-drawing")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: Attention rollout

    func testRolloutOfTwoTokensByHand() {
        // Layer 1: everyone attends token 0 → Â1 = [[1, 0], [.5, .5]].
        // Layer 2: everyone attends token 1 → Â2 = [[.5, .5], [0, 1]].
        let a1 = Tensor([1, 0, 1, 0], shape: [1, 1, 2, 2])
        let a2 = Tensor([0, 1, 0, 1], shape: [1, 1, 2, 2])
        // R = Â2 · Â1 (the first layer applied first); Â1 · Â2 would be [[.5, .5], [.25, .75]].
        assertClose(attentionRollout([a1, a2]).scalars, [0.75, 0.25, 0.5, 0.5])
        assertClose(attentionRollout([a2, a1]).scalars, [0.5, 0.5, 0.25, 0.75])
        // One layer: the identity added and rows renormalised.
        assertClose(attentionRollout([a1]).scalars, [1, 0, 0.5, 0.5])
        // Heads are averaged before the identity is added: mean [[.5, .5], [.5, .5]].
        let twoHeads = Tensor([1, 0, 1, 0, 0, 1, 0, 1], shape: [1, 2, 2, 2])
        assertClose(attentionRollout([twoHeads]).scalars, [0.75, 0.25, 0.25, 0.75])
    }

    func testRolloutMatchesPlainLoops() {
        var rng = SystemRandomNumberGenerator()
        let b = 2, t = 5
        let heads = [2, 3, 1]
        var layers: [[Double]] = []  // [B, H, T, T] each, in doubles
        for (l, h) in heads.enumerated() {
            var a = [Double](repeating: 0, count: b * h * t * t)
            for row in 0..<b * h * t {
                let raw = (0..<t).map { _ in Double.random(in: 0...3, using: &rng) }
                // Softmax rows, except the last layer: rows that do not sum to 1 (as after
                // masking) must be renormalised just the same.
                let e = raw.map { exp($0) }, s = e.reduce(0, +)
                for j in 0..<t { a[row * t + j] = l == 2 ? raw[j] : e[j] / s }
            }
            layers.append(a)
        }
        let tensors = zip(layers, heads).map { a, h in Tensor(a.map { Float($0) }, shape: [b, h, t, t]) }
        let got = attentionRollout(tensors)
        XCTAssertEqual(got.shape, [b, t, t])

        for bi in 0..<b {
            var r: [[Double]]? = nil
            for (l, h) in heads.enumerated() {
                var m = [[Double]](repeating: [Double](repeating: 0, count: t), count: t)
                for i in 0..<t {
                    for j in 0..<t {
                        var mean = 0.0
                        for hi in 0..<h { mean += Double(Float(layers[l][((bi * h + hi) * t + i) * t + j])) }
                        m[i][j] = mean / Double(h) + (i == j ? 1 : 0)
                    }
                    let s = m[i].reduce(0, +)
                    m[i] = m[i].map { $0 / s }
                }
                guard let prev = r else { r = m; continue }
                var next = m
                for i in 0..<t {
                    for j in 0..<t {
                        next[i][j] = 0
                        for k in 0..<t { next[i][j] += m[i][k] * prev[k][j] }
                    }
                }
                r = next
            }
            for i in 0..<t {
                var rowSum = 0.0
                for j in 0..<t {
                    let v = Double(got[bi, i, j])
                    XCTAssertEqual(v, r![i][j], accuracy: 1e-6, "batch \(bi), (\(i), \(j))")
                    rowSum += v
                }
                XCTAssertEqual(rowSum, 1, accuracy: 1e-5)
            }
        }
        // The batch items are rolled out separately.
        XCTAssertNotEqual(got[0, 0, 0], got[1, 0, 0])
    }

    func testClassTokenMapsArePatchesInRowMajorOrder() {
        let gh = 2, gw = 3, t = 1 + gh * gw
        let values = (0..<(2 * t * t)).map(Float.init)
        let maps = classTokenAttentionMaps(Tensor(values, shape: [2, t, t]), gridHeight: gh, gridWidth: gw)
        XCTAssertEqual(maps.shape, [2, gh, gw])
        for b in 0..<2 { for i in 0..<gh { for j in 0..<gw {
            XCTAssertEqual(maps[b, i, j], values[b * t * t + 1 + i * gw + j])
        } } }
        let perHead = classTokenAttentionMaps(Tensor(values, shape: [1, 2, t, t]), gridHeight: gh, gridWidth: gw)
        XCTAssertEqual(perHead.shape, [1, 2, gh, gw])
        XCTAssertEqual(perHead[0, 1, 1, 2], values[t * t + 1 + 5])
    }

    // MARK: Attention over images

    /// Image pixel (x, y) of image i: varies along both axes, so "the image shows" is testable.
    private func testImages(n: Int, h: Int, w: Int) -> [Float] {
        var v = [Float](repeating: 0, count: n * h * w)
        for i in 0..<n { for y in 0..<h { for x in 0..<w {
            v[(i * h + y) * w + x] = Float((x * 3 + y * 5 + i * 7) % 17) / 16
        } } }
        return v
    }

    func testOverlayShowsTheImageUnderTheMapAndTheColormapAtItsMax() throws {
        let n = 2, h = 8, w = 8, scale = 3
        let pixels = testImages(n: n, h: h, w: w)
        // 2×2 maps: 0 top left, max bottom right. Image 1's map is 3 times larger: each map is
        // scaled by its own max, so both draw the same colours.
        let cells: [Float] = [0, 0.2, 0.5, 1]
        let map = Tensor(cells + cells.map { $0 * 3 }, shape: [n, 2, 2])
        let overlay = try AttentionOverlay(images: Tensor(pixels, shape: [n, 1, h, w]), maps: [.init("rollout", map)],
                                           title: "test", scale: scale, normalize: .range(0, 1), alpha: 0.5)
        try overlay.canvas.write(to: dir + "/overlay.png")
        let back = Canvas(try PNGImage(contentsOfFile: dir + "/overlay.png"))
        XCTAssertEqual(back, overlay.canvas)

        let viridis = Colormap.viridis.table
        // What the documentation promises: round((1 − α)·gray + α·colour), α = 0.5.
        func blend(_ g: UInt8, _ c: RGB) -> RGB {
            func ch(_ c: UInt8) -> UInt8 { UInt8((0.5 * Double(g) + 0.5 * Double(c)).rounded()) }
            return RGB(ch(c.r), ch(c.g), ch(c.b))
        }
        for i in 0..<n {
            let imageTile = overlay.imageTiles[i], tile = overlay.mapTiles[i][0]
            var underZero = Set<UInt8>()
            for y in 0..<h * scale {
                for x in 0..<w * scale {
                    let g = UInt8((pixels[(i * h + y / scale) * w + x / scale] * 255).rounded())
                    XCTAssertEqual(back[imageTile.x + x, imageTile.y + y], RGB(g, g, g))
                    // Map cell (row, col) covers 4×4 image pixels (nearest upsampling).
                    let cell = (y / scale / 4) * 2 + x / scale / 4
                    let want = blend(g, viridis[Int((Double(cells[cell]) * 255).rounded())])
                    XCTAssertEqual(back[tile.x + x, tile.y + y], want, "image \(i), pixel (\(x), \(y))")
                    if cell == 0 { underZero.insert(back[tile.x + x, tile.y + y].g) }
                }
            }
            // Where the attention is 0 the picture still changes with the image under it.
            XCTAssertGreaterThan(underZero.count, 8, "image \(i): the image must show under zero attention")
            // The max end is the colormap's top colour (yellow) over the image.
            let g = UInt8((pixels[(i * h + 7) * w + 7] * 255).rounded())
            XCTAssertEqual(back[tile.maxX - 1, tile.maxY - 1], blend(g, viridis[255]))
        }
    }

    func testOverlayOfAColourImageUsesItsGrayLevels() throws {
        // One pure red 4×4 image, one map with a single hot cell.
        var rgb = [Float](repeating: 0, count: 3 * 16)
        for k in 0..<16 { rgb[k] = 1 }
        let map = Tensor([0, 0, 0, 2], shape: [1, 2, 2])
        let overlay = try AttentionOverlay(images: Tensor(rgb, shape: [1, 3, 4, 4]), maps: [.init("m", map)],
                                           scale: 2, normalize: .range(0, 1), colormap: .gray, alpha: 0.25)
        try overlay.canvas.write(to: dir + "/rgb.png")
        let back = Canvas(try PNGImage(contentsOfFile: dir + "/rgb.png"))
        let image = overlay.imageTiles[0], tile = overlay.mapTiles[0][0]
        XCTAssertEqual(back[image.x, image.y], RGB(255, 0, 0), "the image column keeps its colours")
        // Red's luminance (Rec. 709): 0.2126 · 255 ≈ 54; under 0 the gray map's black at 25%.
        let g = 0.2126 * 255
        let low = UInt8((0.75 * g.rounded()).rounded()), high = UInt8((0.75 * g.rounded() + 0.25 * 255).rounded())
        XCTAssertEqual(back[tile.x, tile.y], RGB(low, low, low))
        XCTAssertEqual(back[tile.maxX - 1, tile.maxY - 1], RGB(high, high, high))
    }

    func testOverlayGridHasARowPerImageAndAColumnPerMap() throws {
        let h = 6, w = 5, scale = 4
        func draw(n: Int, m: Int) throws -> (AttentionOverlay, PNGImage) {
            let images = Tensor(testImages(n: n, h: h, w: w), shape: [n, 1, h, w])
            let maps = (0..<m).map { k in
                AttentionOverlay.Map("head \(k + 1)", Tensor((0..<(n * 9)).map { Float(($0 * (k + 2)) % 5) }, shape: [n, 3, 3]))
            }
            let o = try AttentionOverlay(images: images, maps: maps, labels: (0..<n).map { "img \($0)" },
                                         title: "attention", scale: scale)
            try o.canvas.write(to: dir + "/grid-\(n)-\(m).png")
            return (o, try PNGImage(contentsOfFile: dir + "/grid-\(n)-\(m).png"))
        }
        let (o, file) = try draw(n: 3, m: 4)
        XCTAssertEqual(file.width, o.canvas.width)
        XCTAssertEqual(file.height, o.canvas.height)
        XCTAssertEqual(o.imageTiles.count, 3)
        XCTAssertEqual(o.mapTiles.count, 3)
        var all: [PixelRect] = []
        for i in 0..<3 {
            XCTAssertEqual(o.mapTiles[i].count, 4)
            for tile in [o.imageTiles[i]] + o.mapTiles[i] {
                XCTAssertEqual(tile.width, w * scale)
                XCTAssertEqual(tile.height, h * scale)
                XCTAssertEqual(tile.y, o.imageTiles[i].y, "a row's tiles share their top")
                XCTAssertTrue(tile.x >= 0 && tile.maxX <= file.width && tile.maxY <= file.height)
                all.append(tile)
            }
            for m in 0..<4 {
                XCTAssertGreaterThan(o.mapTiles[i][m].x, (m == 0 ? o.imageTiles[i] : o.mapTiles[i][m - 1]).maxX)
            }
            if i > 0 { XCTAssertGreaterThan(o.imageTiles[i].y, o.imageTiles[i - 1].maxY) }
        }
        for a in 0..<all.count { for b in a + 1..<all.count { XCTAssertFalse(overlaps(all[a], all[b])) } }
        let canvas = Canvas(file)
        // Column headers above the first row, a caption under each image, the colour bar
        // below the grid running from the colormap's low end to its high end.
        for tile in [o.imageTiles[0]] + o.mapTiles[0] {
            XCTAssertTrue(hasInk(canvas, in: PixelRect(x: tile.x, y: tile.y - 18, width: tile.width, height: 16)))
        }
        XCTAssertTrue(hasInk(canvas, in: PixelRect(x: o.imageTiles[1].x, y: o.imageTiles[1].maxY,
                                                   width: o.imageTiles[1].width, height: 12)))
        let bar = o.colorbarRect
        XCTAssertGreaterThan(bar.y, o.imageTiles[2].maxY)
        XCTAssertLessThanOrEqual(viridisIndex(canvas[bar.x + 1, Int(bar.midY)]) ?? 999, 5)
        XCTAssertGreaterThanOrEqual(viridisIndex(canvas[bar.maxX - 2, Int(bar.midY)]) ?? -1, 250)
        XCTAssertTrue(hasInk(canvas, in: PixelRect(x: 0, y: bar.maxY, width: canvas.width, height: canvas.height - bar.maxY)),
                      "tick labels and the legend under the bar")

        // One more map adds exactly one tile and a gap to the width; one more image, a row.
        let (wider, _) = try draw(n: 3, m: 5)
        XCTAssertEqual(wider.mapTiles[0][4].x - wider.mapTiles[0][3].x, o.mapTiles[0][3].x - o.mapTiles[0][2].x)
        XCTAssertEqual(wider.mapTiles[0][4].maxX - wider.imageTiles[0].x,
                       o.mapTiles[0][3].maxX - o.imageTiles[0].x + (o.mapTiles[0][3].x - o.mapTiles[0][2].x))
        let (taller, _) = try draw(n: 4, m: 4)
        XCTAssertEqual(taller.canvas.height - o.canvas.height, o.imageTiles[1].y - o.imageTiles[0].y)
    }

    func testBilinearAndNearestUpsamplingOfAMap() throws {
        // A 1×2 map [0, 1] over an 8-pixel-wide image, drawn opaque in gray: pixels read
        // the upsampled values. Bilinear samples pixel centres, edges clamped, as PyTorch's
        // interpolate(mode: "bilinear", align_corners: false).
        let images = Tensor([Float](repeating: 0.5, count: 8), shape: [1, 1, 1, 8])
        let map = Tensor([0, 1], shape: [1, 1, 2])
        let cases: [(MapUpsampling, [Double])] = [(.bilinear, [0, 0, 0.125, 0.375, 0.625, 0.875, 1, 1]),
                                                   (.nearest, [0, 0, 0, 0, 1, 1, 1, 1])]
        for (mode, want) in cases {
            let o = try AttentionOverlay(images: images, maps: [.init("m", map)], scale: 1, colormap: .gray,
                                         alpha: 1, upsampling: mode)
            try o.canvas.write(to: dir + "/up.png")
            let back = Canvas(try PNGImage(contentsOfFile: dir + "/up.png"))
            let tile = o.mapTiles[0][0]
            let got = (0..<8).map { back[tile.x + $0, tile.y].r }
            XCTAssertEqual(got, want.map { UInt8(($0 * 255).rounded()) }, "\(mode)")
        }
    }

    // MARK: Position-embedding similarity

    func testPositionSimilarityOfOrthogonalEmbeddingsIsBrightOnlyAtItsOwnPatch() throws {
        let gh = 2, gw = 3, p = gh * gw
        // One-hot rows of different lengths: cosine ignores the length.
        var e = [Float](repeating: 0, count: p * p)
        for k in 0..<p { e[k * p + k] = Float(k + 1) }
        let fig = try PositionSimilarity(Tensor(e, shape: [p, p]), gridHeight: gh, gridWidth: gw)
        try fig.canvas.write(to: dir + "/pos.png")
        let file = try PNGImage(contentsOfFile: dir + "/pos.png")
        XCTAssertEqual(file.width, fig.canvas.width)
        XCTAssertEqual(file.height, fig.canvas.height)
        let back = Canvas(file)
        XCTAssertEqual(fig.tiles.count, p)
        let top = Colormap.viridis.table[255], zero = Colormap.viridis.table[128]  // cos 0: the middle of −1…1
        for r in 0..<gh {
            for c in 0..<gw {
                XCTAssertEqual(fig.tiles[r * gw + c].width, gw * fig.cellSize)
                XCTAssertEqual(fig.tiles[r * gw + c].height, gh * fig.cellSize)
                for i in 0..<gh {
                    for j in 0..<gw {
                        let cell = fig.cellRect(tileRow: r, tileCol: c, i: i, j: j)
                        let color = back[cell.x + cell.width / 2, cell.y + cell.height / 2]
                        XCTAssertEqual(color, (i, j) == (r, c) ? top : zero, "tile (\(r), \(c)), cell (\(i), \(j))")
                    }
                }
            }
        }
        // Axis labels left of and below the grid, the colour bar to its right.
        let grid = PixelRect(x: fig.tiles[0].x, y: fig.tiles[0].y, width: fig.tiles[p - 1].maxX - fig.tiles[0].x,
                             height: fig.tiles[p - 1].maxY - fig.tiles[0].y)
        XCTAssertTrue(hasInk(back, in: PixelRect(x: 0, y: grid.y, width: grid.x, height: grid.height)))
        XCTAssertTrue(hasInk(back, in: PixelRect(x: grid.x, y: grid.maxY, width: grid.width, height: back.height - grid.maxY)))
        let right = pixels(back, in: PixelRect(x: grid.maxX + 1, y: grid.y, width: back.width - grid.maxX - 1, height: grid.height))
        let shades = right.compactMap(viridisIndex)
        XCTAssertTrue(shades.contains { $0 >= 250 } && shades.contains { $0 <= 5 }, "a colour bar from −1 to 1")
    }

    func testPositionSimilarityColoursFollowKnownCosines() throws {
        // Unit vectors at 60° steps: cos((i − j) · 60°) ∈ {1, ½, −½, −1}.
        let gh = 2, gw = 3, p = gh * gw
        let e = (0..<p).flatMap { k -> [Float] in
            let a = Double(k) * Double.pi / 3
            return [Float(cos(a)), Float(sin(a))]
        }
        let fig = try PositionSimilarity(Tensor(e, shape: [p, 2]), gridHeight: gh, gridWidth: gw, cellSize: 5)
        try fig.canvas.write(to: dir + "/cos.png")
        let back = Canvas(try PNGImage(contentsOfFile: dir + "/cos.png"))
        for a in 0..<p {
            for b in 0..<p {
                let want = cos(Double(a - b) * Double.pi / 3)
                XCTAssertEqual(Double(fig.similarities[a, b]), want, accuracy: 1e-6)
                let cell = fig.cellRect(tileRow: a / gw, tileCol: a % gw, i: b / gw, j: b % gw)
                let index = Int(((want + 1) / 2 * 255).rounded())
                XCTAssertEqual(back[cell.x + 2, cell.y + 2], Colormap.viridis.table[index], "patch \(a) vs \(b)")
            }
        }
        XCTAssertEqual(fig.cellSize, 5)
    }

    func testZeroEmbeddingIsDrawnGray() throws {
        let fig = try PositionSimilarity(Tensor([1, 0, 0, 0], shape: [2, 2]), gridHeight: 1, gridWidth: 2)
        let cell = fig.cellRect(tileRow: 0, tileCol: 0, i: 0, j: 1)
        XCTAssertTrue(fig.similarities[0, 1].isNaN)
        XCTAssertEqual(fig.canvas[cell.x + 1, cell.y + 1], .lightGray)
        let own = fig.cellRect(tileRow: 0, tileCol: 0, i: 0, j: 0)
        XCTAssertEqual(fig.canvas[own.x + 1, own.y + 1], Colormap.viridis.table[255])
    }

    // MARK: Pictures for people

    /// A ViT-like figure set on synthetic data, to look at: set REPRO_DRAWING_EXAMPLES=DIR to
    /// keep them.
    func testExamplePicturesAreWritten() throws {
        let out = ProcessInfo.processInfo.environment["REPRO_DRAWING_EXAMPLES"] ?? dir!
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        // Four 28×28 "garments": rings and bars, values in 0...1.
        let n = 4, side = 28, g = 7, t = 1 + g * g
        var imgs = [Float](repeating: 0, count: n * side * side)
        for i in 0..<n { for y in 0..<side { for x in 0..<side {
            let dx = Float(x - 14), dy = Float(y - 14)
            let ring = max(0, 1 - abs((dx * dx + dy * dy).squareRoot() - Float(5 + 2 * i)) / 2.5)
            let bar = abs(dx + Float(i - 2) * 3) < 2 && abs(dy) < 10 ? Float(0.8) : 0
            imgs[(i * side + y) * side + x] = max(ring, bar)
        } } }
        // Attention that favours bright patches near a head-specific spot, 4 heads, 3 layers.
        func layer(_ l: Int) -> Tensor {
            let heads = 4
            var a = [Float](repeating: 0, count: n * heads * t * t)
            for i in 0..<n { for h in 0..<heads { for q in 0..<t {
                var row = [Float](repeating: 0, count: t)
                for k in 0..<t {
                    guard k > 0 else { row[k] = 1; continue }
                    let py = (k - 1) / g, px = (k - 1) % g
                    var bright: Float = 0
                    for y in py * 4..<py * 4 + 4 { for x in px * 4..<px * 4 + 4 { bright += imgs[(i * side + y) * side + x] } }
                    let cy = Float(1 + (h / 2) * 4), cx = Float(1 + (h % 2) * 4)
                    let d = (Float(py) - cy) * (Float(py) - cy) + (Float(px) - cx) * (Float(px) - cx)
                    row[k] = exp(bright / 4 - d / Float(4 + 2 * l))
                }
                let s = row.reduce(0, +)
                for k in 0..<t { a[((i * heads + h) * t + q) * t + k] = row[k] / s }
            } } }
            return Tensor(a, shape: [n, heads, t, t])
        }
        let layers = (0..<3).map(layer)
        let maps = AttentionOverlay.Map.heads(classTokenAttentionMaps(layers[2], gridHeight: g, gridWidth: g))
            + [.init("rollout", classTokenAttentionMaps(attentionRollout(layers), gridHeight: g, gridWidth: g))]
        let names = ["Bag", "Sneaker", "T-shirt/top", "Ankle boot"]
        try attentionOverlay(images: Tensor(imgs, shape: [n, 1, side, side]), maps: maps, labels: names,
                             title: "Class-token attention, last layer, and attention rollout",
                             scale: 4, normalize: .range(0, 1))
            .write(to: out + "/vit_attention.png")
        try attentionOverlay(images: Tensor(Array(imgs.prefix(side * side)), shape: [1, 1, side, side]),
                             maps: [.init("rollout", Tensor(Array(maps[4].values.scalars.prefix(g * g)), shape: [1, g, g]))],
                             title: "Rollout, bilinear", scale: 4, normalize: .range(0, 1), upsampling: .bilinear)
            .write(to: out + "/vit_attention_one.png")

        // Embeddings like a trained ViT's: waves over the patch's row and over its column (a
        // period longer than the grid, so far-apart patches point apart), plus a little noise.
        let d = 12
        var pos = [Float](repeating: 0, count: g * g * d)
        var rng = SystemRandomNumberGenerator()
        for r in 0..<g { for c in 0..<g { for f in 1...3 {
            let (a, b) = (Float.pi * Float(f * r) / Float(g), Float.pi * Float(f * c) / Float(g))
            let q = (r * g + c) * d + (f - 1) * 4
            for (k, v) in [cos(a), sin(a), cos(b), sin(b)].enumerated() {
                pos[q + k] = v / Float(f) + Float.random(in: -0.05...0.05, using: &rng)
            }
        } } }
        try positionSimilarity(Tensor(pos, shape: [g * g, d]), gridHeight: g, gridWidth: g)
            .write(to: out + "/vit_position_similarity.png")

        for name in ["vit_attention", "vit_attention_one", "vit_position_similarity"] {
            let image = try PNGImage(contentsOfFile: out + "/\(name).png")
            XCTAssertEqual(image.format, .rgb)
            XCTAssertGreaterThan(image.width, 100)
        }
    }

    // MARK: helpers

    private func assertClose(_ got: [Float], _ want: [Double], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, file: file, line: line)
        for (g, w) in zip(got, want) { XCTAssertEqual(Double(g), w, accuracy: 1e-6, "\(got) vs \(want)", file: file, line: line) }
    }

    private func viridisIndex(_ color: RGB) -> Int? { Colormap.viridis.table.firstIndex(of: color) }

    /// The colours inside `r` (clipped to the canvas), cut out with `Canvas.draw`.
    private func pixels(_ canvas: Canvas, in r: PixelRect) -> [RGB] {
        let x0 = max(0, r.x), y0 = max(0, r.y)
        let x1 = min(canvas.width, r.maxX), y1 = min(canvas.height, r.maxY)
        guard x0 < x1, y0 < y1 else { return [] }
        var crop = Canvas(width: x1 - x0, height: y1 - y0)
        crop.draw(canvas, x: -x0, y: -y0)
        let p = crop.pixels
        return stride(from: 0, to: p.count, by: 3).map { RGB(p[$0], p[$0 + 1], p[$0 + 2]) }
    }

    private func hasInk(_ canvas: Canvas, in r: PixelRect) -> Bool {
        pixels(canvas, in: r).contains { $0.luminance < 0.5 }
    }

    private func overlaps(_ a: PixelRect, _ b: PixelRect) -> Bool {
        a.x < b.maxX && b.x < a.maxX && a.y < b.maxY && b.y < a.maxY
    }
}
