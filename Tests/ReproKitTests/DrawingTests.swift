import XCTest
import ReproKit

/// PNG files, the canvas, text, colormaps and the three kinds of picture a run draws.
final class DrawingTests: XCTestCase {
    private var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "repro-drawing-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    // MARK: PNG files

    func testGrayPNGRoundTripIsByteIdentical() throws {
        let w = 37, h = 13  // odd sizes catch row-stride mistakes
        let pixels = (0..<w * h).map { UInt8(($0 * 7 + $0 / w * 13) % 256) }
        let image = PNGImage(width: w, height: h, format: .gray, pixels: pixels)
        try image.write(to: dir + "/gray.png")
        let back = try PNGImage(contentsOfFile: dir + "/gray.png")
        XCTAssertEqual(back.format, .gray)
        XCTAssertEqual(back.width, w)
        XCTAssertEqual(back.height, h)
        XCTAssertEqual(back.pixels, pixels)
    }

    func testRGBAndRGBAPNGRoundTripIsByteIdentical() throws {
        let w = 19, h = 11
        let rgb = (0..<w * h * 3).map { UInt8(($0 * 31 + 5) % 256) }
        try PNGImage(width: w, height: h, format: .rgb, pixels: rgb).write(to: dir + "/rgb.png")
        let back = try PNGImage(contentsOfFile: dir + "/rgb.png")
        XCTAssertEqual(back, PNGImage(width: w, height: h, format: .rgb, pixels: rgb))

        let rgba = (0..<w * h * 4).map { UInt8(($0 * 17 + 3) % 256) }
        try PNGImage(width: w, height: h, format: .rgba, pixels: rgba).write(to: dir + "/rgba.png")
        XCTAssertEqual(try PNGImage(contentsOfFile: dir + "/rgba.png").pixels, rgba)
    }

    /// A decoder that shares no code with libpng: Python's zlib, the chunk layout and the
    /// five row filters, written out here (PNG spec, section 9).
    private static let pythonDecoder = """
    import sys, zlib, struct
    raw = open(sys.argv[1], 'rb').read()
    assert raw[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'bad signature'
    pos, idat, ihdr = 8, b'', None
    while pos < len(raw):
        n, kind = struct.unpack('>I4s', raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + n]
        assert zlib.crc32(kind + body) == struct.unpack('>I', raw[pos + 8 + n:pos + 12 + n])[0], 'bad crc'
        if kind == b'IHDR': ihdr = struct.unpack('>IIBBBBB', body)
        if kind == b'IDAT': idat += body
        if kind == b'IEND': break
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and interlace == 0
    bpp = {0: 1, 2: 3, 6: 4}[ctype]
    data, stride, out, prev = zlib.decompress(idat), w * bpp, bytearray(), bytearray(w * bpp)
    for y in range(h):
        f, row = data[y * (stride + 1)], bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: row[i] = (row[i] + a) & 255
            elif f == 2: row[i] = (row[i] + b) & 255
            elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out += row
        prev = row
    print(w, h, ctype)
    print(out.hex())
    """

    private func decodeWithPython(_ path: String) throws -> (width: Int, height: Int, colorType: Int, pixels: [UInt8]) {
        let python = "/usr/bin/python3"
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: python), "no \(python)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", Self.pythonDecoder, path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, errText)
        let lines = text.split(separator: "\n")
        let head = lines[0].split(separator: " ").map { Int($0)! }
        let hex: [UInt8] = lines.count > 1 ? Array(lines[1].utf8) : []
        var bytes: [UInt8] = []
        bytes.reserveCapacity(hex.count / 2)
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        var i = 0
        while i + 1 < hex.count { bytes.append(nibble(hex[i]) << 4 | nibble(hex[i + 1])); i += 2 }
        return (head[0], head[1], head[2], bytes)
    }

    func testIndependentDecoderReadsWhatWeWrite() throws {
        let gray = PNGImage(width: 23, height: 9, format: .gray, pixels: (0..<23 * 9).map { UInt8(($0 * 11) % 256) })
        try gray.write(to: dir + "/g.png")
        let g = try decodeWithPython(dir + "/g.png")
        XCTAssertEqual([g.width, g.height, g.colorType], [23, 9, 0])
        XCTAssertEqual(g.pixels, gray.pixels)

        var canvas = Canvas(width: 40, height: 30)
        canvas.fillRect(PixelRect(x: 5, y: 5, width: 10, height: 8), RGB(200, 30, 60))
        canvas.drawLine(from: (0, 29), to: (39, 0), color: .black, thickness: 2)
        try canvas.write(to: dir + "/c.png")
        let c = try decodeWithPython(dir + "/c.png")
        XCTAssertEqual([c.width, c.height, c.colorType], [40, 30, 2])
        XCTAssertEqual(c.pixels, canvas.pixels)
        XCTAssertEqual(c.pixels[(7 * 40 + 7) * 3], 200)
    }

    func testBadPathsGiveClearOneLineErrors() throws {
        let image = PNGImage(width: 2, height: 2, format: .gray, pixels: [0, 1, 2, 3])
        let missingDir = dir + "/no/such/dir/x.png"
        XCTAssertThrowsError(try image.write(to: missingDir)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(missingDir), text)
            XCTAssertTrue(text.contains("does not exist"), text)
            XCTAssertFalse(text.contains("\n"), text)
            XCTAssertEqual(error.localizedDescription, text)
        }
        XCTAssertThrowsError(try PNGImage(contentsOfFile: dir + "/missing.png")) { error in
            XCTAssertEqual(error as? PNGError, .cannotOpen(path: dir + "/missing.png", reason: "no such file"))
        }
        XCTAssertThrowsError(try PNGImage(contentsOfFile: dir)) { error in
            XCTAssertTrue("\(error)".contains("is a directory"), "\(error)")
        }
        let notPNG = dir + "/fake.png"
        try "this is not a picture".write(toFile: notPNG, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PNGImage(contentsOfFile: notPNG)) { error in
            guard case .cannotDecode(let path, let reason)? = error as? PNGError else {
                return XCTFail("want cannotDecode, got \(error)")
            }
            XCTAssertEqual(path, notPNG)
            XCTAssertFalse(reason.isEmpty)
        }
    }

    func testWriteReplacesAtomicallyAndLeavesNoTemporaryFiles() throws {
        let path = dir + "/out.png"
        try PNGImage(width: 3, height: 1, format: .gray, pixels: [1, 2, 3]).write(to: path)
        try PNGImage(width: 1, height: 2, format: .rgb, pixels: [9, 8, 7, 6, 5, 4]).write(to: path)
        XCTAssertEqual(try PNGImage(contentsOfFile: path).pixels, [9, 8, 7, 6, 5, 4])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["out.png"])
    }

    // MARK: Canvas, colours, text

    func testLinesAreAntiAliasedAndExactOnPixelCentres() {
        var canvas = Canvas(width: 60, height: 30)
        // A 1-pixel line through row 10's centres covers row 10 exactly.
        canvas.drawLine(from: (5.5, 10.5), to: (50.5, 10.5), color: .black)
        XCTAssertEqual(canvas[20, 10], .black)
        XCTAssertEqual(canvas[20, 9], .white)
        XCTAssertEqual(canvas[20, 11], .white)
        // A 3-pixel diagonal has full-colour pixels on it and partly covered ones beside it.
        canvas.drawLine(from: (2, 28), to: (28, 14), color: .black, thickness: 3)
        let values = (12..<30).flatMap { y in (0..<30).map { x in canvas[x, y].r } }
        XCTAssertTrue(values.contains(0))
        XCTAssertTrue(values.contains { $0 > 30 && $0 < 225 }, "no intermediate (anti-aliased) pixels")
        // Overlapping segments of one polyline do not darken their joint.
        var c2 = Canvas(width: 40, height: 40)
        c2.drawPolyline([(5, 20), (20, 20), (35, 21)], color: RGB(100, 100, 100), thickness: 4)
        XCTAssertEqual(c2[20, 20], RGB(100, 100, 100))
        XCTAssertTrue((0..<40).allSatisfy { x in (0..<40).allSatisfy { c2[x, $0].r >= 100 } })
    }

    func testColormapEndpoints() {
        XCTAssertEqual(Colormap.viridis.table.count, 256)
        XCTAssertEqual(Colormap.viridis.color(0), RGB(68, 1, 84))     // dark purple
        XCTAssertEqual(Colormap.viridis.color(1), RGB(253, 231, 37))  // yellow
        XCTAssertEqual(Colormap.viridis.color(-3), Colormap.viridis.color(0))
        let mid = Colormap.diverging.color(0.5)
        XCTAssertGreaterThan(mid.luminance, 0.9, "diverging map is white at zero: \(mid)")
        XCTAssertGreaterThan(Colormap.diverging.color(0).b, Colormap.diverging.color(0).r)
        XCTAssertGreaterThan(Colormap.diverging.color(1).r, Colormap.diverging.color(1).b)
    }

    func testTextInkStaysInsideTheMeasuredBox() throws {
        let font = try Font.dejaVuSans()
        var canvas = Canvas(width: 160, height: 60)
        let box = try canvas.drawText("Loss", x: 20, y: 40, size: 20)
        XCTAssertEqual(box.width, font.measure("Loss", size: 20))
        XCTAssertGreaterThan(box.width, 30)
        XCTAssertLessThan(box.width, 60)
        var inside = 0, dark = 0
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas[x, y] != .white {
                let near = x >= box.x - 2 && x < box.maxX + 2 && y >= box.y - 2 && y < box.maxY + 2
                XCTAssertTrue(near, "ink at (\(x), \(y)) outside \(box)")
                if near { inside += 1 }
                if canvas[x, y].luminance < 0.3 { dark += 1 }
            }
        }
        XCTAssertGreaterThan(dark, 40, "text should have solid dark strokes")
        XCTAssertGreaterThan(inside, dark, "text edges should be anti-aliased")
        // The baseline is at y = 40: "Loss" has no descenders, so no ink below it.
        XCTAssertTrue((41..<60).allSatisfy { y in (0..<160).allSatisfy { canvas[$0, y] == .white } })
    }

    func testRotatedTextRunsUpward() throws {
        var canvas = Canvas(width: 60, height: 120)
        let box = try canvas.drawText("accuracy", x: 30, y: 60, size: 14, align: .center,
                                      baseline: .middle, rotation: .up)
        XCTAssertGreaterThan(box.height, 2 * box.width)
        let ink = (0..<120).flatMap { y in (0..<60).compactMap { x in canvas[x, y] != .white ? (x, y) : nil } }
        let ys = ink.map(\.1), xs = ink.map(\.0)
        XCTAssertGreaterThan(ys.max()! - ys.min()!, 2 * (xs.max()! - xs.min()!))
        XCTAssertEqual(Double(ys.min()! + ys.max()!) / 2, 60, accuracy: 4)
    }

    func testMissingFontErrorNamesThePackage() {
        XCTAssertThrowsError(try Font(path: dir + "/NoFont.ttf")) { error in
            XCTAssertTrue("\(error)".contains("fonts-dejavu-core"), "\(error)")
        }
        let junk = dir + "/junk.ttf"
        XCTAssertTrue(FileManager.default.createFile(atPath: junk, contents: nil))
        XCTAssertThrowsError(try Font(path: junk)) { error in
            guard case .cannotLoad? = error as? FontError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains(junk))
        }
        XCTAssertTrue(try Font.findDejaVuSans().hasSuffix("DejaVuSans.ttf"))
    }

    // MARK: Pictures

    func testHeatmapCellCentresHaveColormapColours() throws {
        let m = Tensor([0, 4, 2, 1], shape: [2, 2])
        let hm = try Heatmap(m, rowLabels: ["a", "b"], colLabels: ["x", "y"], title: "T")
        func centre(_ r: Int, _ c: Int) -> RGB {
            let rect = hm.cellRect(row: r, col: c)
            return hm.canvas[rect.x + rect.width / 2, rect.y + rect.height / 2]
        }
        XCTAssertEqual(centre(0, 0), Colormap.viridis.color(0))
        XCTAssertEqual(centre(0, 1), Colormap.viridis.color(1))
        XCTAssertEqual(centre(1, 0), Colormap.viridis.table[128])
        XCTAssertEqual(centre(1, 1), Colormap.viridis.table[64])
        // Labels are drawn left of and below the matrix.
        let left = PixelRect(x: 0, y: hm.matrixRect.y, width: hm.matrixRect.x, height: hm.matrixRect.height)
        XCTAssertTrue(hasInk(hm.canvas, in: left))
        let below = PixelRect(x: hm.matrixRect.x, y: hm.matrixRect.maxY, width: hm.matrixRect.width, height: 20)
        XCTAssertTrue(hasInk(hm.canvas, in: below))
    }

    func testConfusionMatrixWritesCountsAndTurnsLongLabels() throws {
        let counts = Tensor([50, 2, 0, 3, 41, 7, 0, 9, 38], shape: [3, 3])
        let names = ["T-shirt/top", "Trouser", "Pullover"]
        let hm = try Heatmap(counts, rowLabels: names, colLabels: names, xLabel: "predicted",
                             yLabel: "true", showValues: true)
        // The dark low-count cell gets white digits, the bright diagonal dark ones.
        let low = hm.cellRect(row: 0, col: 2), high = hm.cellRect(row: 0, col: 0)
        XCTAssertTrue(pixels(hm.canvas, in: low).contains { $0.luminance > 0.8 })
        XCTAssertTrue(pixels(hm.canvas, in: high).contains { $0.luminance < 0.3 })
        // Column labels wider than a cell run vertically below the matrix.
        let under = PixelRect(x: hm.matrixRect.x, y: hm.matrixRect.maxY + 4, width: hm.matrixRect.width,
                              height: hm.canvas.height - hm.matrixRect.maxY - 4)
        let ink = inkBox(hm.canvas, in: under)!
        XCTAssertGreaterThan(ink.height, 50, "long column labels should be vertical")
    }

    func testImageGridPutsEachImageInItsTile() throws {
        let n = 7, h = 5, w = 4
        var values = [Float](repeating: 0, count: n * h * w)
        for i in 0..<n { for k in 0..<h * w { values[i * h * w + k] = Float(i) / Float(n - 1) } }
        let grid = try ImageGrid(Tensor(values, shape: [n, 1, h, w]), columns: 3, scale: 3,
                                 labels: (0..<n).map { "t\($0)/p\($0)" }, normalize: .range(0, 1))
        XCTAssertEqual(grid.tiles.count, n)
        for (i, tile) in grid.tiles.enumerated() {
            XCTAssertEqual(tile.width, w * 3)
            XCTAssertEqual(tile.height, h * 3)
            let v = UInt8((Float(i) / Float(n - 1) * 255).rounded())
            XCTAssertEqual(grid.canvas[tile.x + tile.width / 2, tile.y + tile.height / 2], RGB(v, v, v), "tile \(i)")
            // The caption is just below its tile.
            XCTAssertTrue(hasInk(grid.canvas, in: PixelRect(x: tile.x - 10, y: tile.maxY, width: tile.width + 20, height: 14)))
        }
        // Row-major placement: 3 per row.
        XCTAssertEqual(grid.tiles[1].y, grid.tiles[0].y)
        XCTAssertGreaterThan(grid.tiles[1].x, grid.tiles[0].maxX)
        XCTAssertGreaterThan(grid.tiles[3].y, grid.tiles[0].maxY)
        XCTAssertEqual(grid.tiles[3].x, grid.tiles[0].x)
        for a in 0..<n { for b in a + 1..<n { XCTAssertFalse(overlaps(grid.tiles[a], grid.tiles[b])) } }
    }

    func testImageGridNormalizesPerImageAndKeepsColour() throws {
        // Two RGB "filters" of very different scales: per-image stretching shows both fully.
        var values = [Float](repeating: 0, count: 2 * 3 * 2 * 2)
        for i in 0..<2 {
            let s: Float = i == 0 ? 0.01 : 5
            for ch in 0..<3 { for k in 0..<4 { values[((i * 3) + ch) * 4 + k] = s * Float(ch == 0 ? k : -k) } }
        }
        let grid = try ImageGrid(Tensor(values, shape: [2, 3, 2, 2]), scale: 1, normalize: .perImage)
        for tile in grid.tiles {
            // Pixel k = 3 (bottom right): red channel at the max, green/blue at the min.
            XCTAssertEqual(grid.canvas[tile.x + 1, tile.y + 1], RGB(255, 0, 0))
            // Pixel k = 0: every channel 0 → the middle of [-3s, 3s].
            let mid = grid.canvas[tile.x, tile.y]
            XCTAssertEqual(mid, RGB(128, 128, 128))
        }
        let global = try ImageGrid(Tensor(values, shape: [2, 3, 2, 2]), scale: 1, normalize: .global)
        let small = global.canvas[global.tiles[0].x + 1, global.tiles[0].y + 1]
        XCTAssertEqual(Int(small.r), 128, accuracy: 1, "a tiny filter is mid-gray on a global scale")
    }

    func testRisingLineIsDrawnRisingWithALegend() throws {
        let red = RGB(230, 0, 0)
        var plot = LinePlot(title: "accuracy", xLabel: "epoch", yLabel: "accuracy")
        plot.add("train", (0...20).map { (x: Double($0), y: 0.5 + 0.02 * Double($0)) }, color: red)
        var canvas = Canvas(width: 500, height: 360)
        let g = try plot.draw(on: &canvas, in: canvas.bounds)
        let legend = try XCTUnwrap(g.legendRect)
        XCTAssertTrue(contains(g.plotRect, legend))
        // Column by column, the line's pixels climb (smaller y) from left to right.
        var rows: [(x: Int, y: Double)] = []
        for x in stride(from: g.plotRect.x + 5, to: g.plotRect.maxX - 5, by: 10) {
            let ys = (g.plotRect.y..<g.plotRect.maxY).filter {
                !legend.contains(x: x, y: $0) && canvas[x, $0] == red
            }
            if !ys.isEmpty { rows.append((x, Double(ys.reduce(0, +)) / Double(ys.count))) }
        }
        XCTAssertGreaterThan(rows.count, 20)
        for k in 1..<rows.count { XCTAssertLessThan(rows[k].y, rows[k - 1].y, "at x=\(rows[k].x)") }
        // And they are where the geometry puts the data.
        let mid = g.position(x: 10, y: 0.7)
        XCTAssertEqual(canvas[Int(mid.x), Int(mid.y)], red)
        // Legend: a red sample line and dark text.
        XCTAssertTrue(pixels(canvas, in: legend).contains(red))
        XCTAssertTrue(pixels(canvas, in: legend).contains { $0.luminance < 0.3 })
        // Axis labels and ticks: ink left of and below the plot area.
        XCTAssertTrue(hasInk(canvas, in: PixelRect(x: 0, y: g.plotRect.y, width: g.plotRect.x - 2, height: g.plotRect.height)))
        XCTAssertTrue(hasInk(canvas, in: PixelRect(x: g.plotRect.x, y: g.plotRect.maxY + 2, width: g.plotRect.width,
                                                   height: canvas.height - g.plotRect.maxY - 2)))
    }

    func testLogYPlotsPowersOfTenEvenlySpaced() throws {
        var plot = LinePlot(yLabel: "loss", logY: true, legend: .none)
        plot.add("loss", (0...4).map { (x: Double($0), y: pow(10, -Double($0))) })
        var canvas = Canvas(width: 400, height: 300)
        let g = try plot.draw(on: &canvas, in: canvas.bounds)
        let ys = (0...4).map { g.position(x: Double($0), y: pow(10, -Double($0))).y }
        for k in 1..<4 { XCTAssertEqual(ys[k + 1] - ys[k], ys[k] - ys[k - 1], accuracy: 1e-6) }
        XCTAssertGreaterThan(ys[4], ys[0])
        XCTAssertNil(g.legendRect)
        XCTAssertEqual(Ticks.log(1e-4, 1, target: 5), [1e-4, 1e-3, 1e-2, 1e-1, 1])
    }

    func testPlotSurvivesOutliersGapsAndEmptySeries() throws {
        let blue = RGB(0, 0, 230)
        var plot = LinePlot(title: "loss", xRange: 0...10, yRange: 0...1, clipsToRange: true)
        plot.add("loss", [(0, 0.9), (2, 0.5), (3, .nan), (4, 0.4), (5, 1e30), (6, -.infinity), (8, 0.2), (1e25, 0.1)],
                 color: blue, markers: true)
        plot.add("empty", [])
        var canvas = Canvas(width: 400, height: 300)
        let g = try plot.draw(on: &canvas, in: canvas.bounds)
        // The finite stretch before the gap is drawn; the gap at x = 3 is not bridged.
        let p = g.position(x: 1, y: 0.7)
        XCTAssertEqual(canvas[Int(p.x), Int(p.y)], blue)
        let gap = g.position(x: 3, y: 0.45)
        XCTAssertNotEqual(canvas[Int(gap.x), Int(gap.y)], blue)
        // Nothing is drawn outside the data area except the legend sample.
        for y in 0..<canvas.height {
            for x in 0..<canvas.width where canvas[x, y] == blue {
                XCTAssertTrue(g.plotRect.contains(x: x, y: y), "(\(x), \(y))")
            }
        }
        _ = try LinePlot(title: "nothing yet").render(width: 300, height: 200)
    }

    func testTicksAreRoundNumbers() {
        func check(_ got: [Double], _ want: [Double], line: UInt = #line) {
            XCTAssertEqual(got.count, want.count, "\(got)", line: line)
            for (g, w) in zip(got, want) { XCTAssertEqual(g, w, accuracy: 1e-12, "\(got)", line: line) }
        }
        check(Ticks.linear(0, 1, target: 5), [0, 0.2, 0.4, 0.6, 0.8, 1])
        check(Ticks.linear(3, 97, target: 5), [20, 40, 60, 80])
        check(Ticks.linear(-1.2, 1.3, target: 5), [-1, -0.5, 0, 0.5, 1])
        check(Ticks.linear(0.013, 0.087, target: 4), [0.02, 0.04, 0.06, 0.08])
        XCTAssertEqual(Ticks.label(0.4, step: 0.2), "0.4")
        XCTAssertEqual(Ticks.label(0.3, step: 0.1), "0.3")
        XCTAssertEqual(Ticks.label(40, step: 10), "40")
        XCTAssertEqual(Ticks.label(20000, step: 5000), "20000")
        XCTAssertEqual(Ticks.label(0.25, step: 0.05), "0.25")
        XCTAssertEqual(Ticks.logLabel(1e-5), "1e-5")
        XCTAssertEqual(Ticks.logLabel(1e6), "1e6")
        XCTAssertEqual(Ticks.logLabel(0.01), "0.01")
    }

    func testPanelsSitSideBySide() throws {
        var a = LinePlot(title: "loss"), b = LinePlot(title: "accuracy")
        a.add("train", [(0, 2), (1, 1)], color: RGB(0, 0, 230))
        b.add("test", [(0, 0.1), (1, 0.9)], color: RGB(0, 160, 0))
        let canvas = try LinePlot.panels([a, b], panelWidth: 300, height: 220, title: "run")
        XCTAssertEqual(canvas.width, 600)
        let leftHalf = pixels(canvas, in: PixelRect(x: 0, y: 0, width: 300, height: canvas.height))
        let rightHalf = pixels(canvas, in: PixelRect(x: 300, y: 0, width: 300, height: canvas.height))
        XCTAssertTrue(leftHalf.contains(RGB(0, 0, 230)) && !leftHalf.contains(RGB(0, 160, 0)))
        XCTAssertTrue(rightHalf.contains(RGB(0, 160, 0)) && !rightHalf.contains(RGB(0, 0, 230)))
    }

    /// Writes one of each picture where a person can open it; the test checks they read back.
    /// Set REPRO_DRAWING_EXAMPLES=DIR to keep them.
    func testExamplePicturesAreWritten() throws {
        let out = ProcessInfo.processInfo.environment["REPRO_DRAWING_EXAMPLES"] ?? dir!
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)

        var loss = LinePlot(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy", logY: true)
        var acc = LinePlot(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy")
        let epochs = (0...30).map(Double.init)
        loss.add("train", x: epochs, y: epochs.map { 2.3 * exp(-$0 / 6) + 0.05 + 0.02 * sin($0) })
        loss.add("test", x: epochs, y: epochs.map { 2.3 * exp(-$0 / 7) + 0.25 }, dashed: true)
        acc.add("train", x: epochs, y: epochs.map { 1 - 0.9 * exp(-$0 / 6) })
        acc.add("test", x: Array(epochs.enumerated().filter { $0.offset % 5 == 0 }.map(\.element)),
                y: epochs.enumerated().filter { $0.offset % 5 == 0 }.map { 0.92 - 0.8 * exp(-$0.element / 7) },
                markers: true)
        try LinePlot.panels([loss, acc], title: "resnet-mini, seed 0").write(to: out + "/curves.png")

        let tokens = ["<bos>", "ein", "Hund", "läuft", "über", "die", "Wiese", "<eos>"]
        let words = ["a", "dog", "runs", "across", "the", "meadow", "<eos>"]
        var att = [Float](repeating: 0, count: words.count * tokens.count)
        for r in 0..<words.count {
            var row = (0..<tokens.count).map { c in exp(-abs(Float(c) - Float(r) - 1) * 1.5) }
            let s = row.reduce(0, +)
            row = row.map { $0 / s }
            for c in 0..<tokens.count { att[r * tokens.count + c] = row[c] }
        }
        try heatmap(Tensor(att, shape: [words.count, tokens.count]), rowLabels: words, colLabels: tokens,
                    title: "attention, layer 1", xLabel: "source", yLabel: "target")
            .write(to: out + "/attention.png")

        let classes = ["T-shirt", "Trouser", "Pullover", "Dress", "Coat"]
        var counts = [Float](repeating: 0, count: 25)
        for i in 0..<5 { for j in 0..<5 { counts[i * 5 + j] = i == j ? Float(80 + 3 * i) : Float((i * 7 + j * 3) % 9) } }
        try heatmap(Tensor(counts, shape: [5, 5]), rowLabels: classes, colLabels: classes,
                    title: "confusion matrix", xLabel: "predicted", yLabel: "true", showValues: true)
            .write(to: out + "/confusion.png")

        // Digits-like blobs with true/pred captions, and colour "filters".
        let n = 12, side = 28
        var imgs = [Float](repeating: 0, count: n * side * side)
        for i in 0..<n {
            for y in 0..<side {
                for x in 0..<side {
                    let dx = Float(x - 14), dy = Float(y - 14)
                    let r = (dx * dx + dy * dy).squareRoot()
                    imgs[(i * side + y) * side + x] = max(0, 1 - abs(r - Float(5 + i % 6)) / 2.5)
                }
            }
        }
        let captions = (0..<n).map { "\(classes[$0 % 5])/\(classes[($0 * 2 + 1) % 5])" }
        try imageGrid(Tensor(imgs, shape: [n, 1, side, side]), columns: 6, scale: 2, labels: captions,
                      labelColors: [.red], normalize: .range(0, 1), title: "misclassified (true/pred)")
            .write(to: out + "/grid.png")
        let filters: [Float] = (0..<(16 * 3 * 11 * 11)).map { (k: Int) -> Float in
            let wave = sin(Double(k) * 0.37)
            let channel = cos(Double(k / 121) * 0.9)
            return Float(wave * channel)
        }
        try imageGrid(Tensor(filters, shape: [16, 3, 11, 11]), columns: 8, scale: 4, title: "conv1 filters")
            .write(to: out + "/filters.png")

        // ResNet Fig. 6 style: thin dashed training error, bold test error, four depths.
        var panels: [LinePlot] = []
        for (title, gap) in [("plain", -1.0), ("ResNet", 1.0)] {
            var p = LinePlot(title: title, xLabel: "iterations", yLabel: "error (%)", yRange: 0...20)
            for (k, depth) in [20, 32, 44, 56].enumerated() {
                let its = stride(from: 0.0, through: 64000, by: 500).map { $0 }
                let base = 6 + Double(k) * gap * 0.8
                let color = RGB.palette[k]
                let train: [Double] = its.map { (i: Double) -> Double in max(0.5, base - 3 + 14 * exp(-i / 8000)) }
                let test: [Double] = its.map { (i: Double) -> Double in base + 10 * exp(-i / 9000) }
                p.add("\(title)-\(depth) train", x: its, y: train, color: color, thickness: 1, dashed: true)
                p.add("\(title)-\(depth)", x: its, y: test, color: color, thickness: 2.5)
            }
            panels.append(p)
        }
        try LinePlot.panels(panels).write(to: out + "/fig6.png")

        let ten = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
        let cm: [Float] = (0..<100).map { (k: Int) -> Float in
            k / 10 == k % 10 ? Float(900 + k) : Float((k * 37) % 23)
        }
        try heatmap(Tensor(cm, shape: [10, 10]), rowLabels: ten, colLabels: ten, title: "Fashion-MNIST confusion",
                    xLabel: "predicted", yLabel: "true", showValues: true)
            .write(to: out + "/confusion10.png")

        let words30 = (0..<30).map { ["the", "model", "attends", "to", "every", "token", ",", "."][$0 % 8] }
        let att30: [Float] = (0..<900).map { (k: Int) -> Float in
            let d = Float(k / 30 - k % 30)
            return k % 30 > k / 30 ? 0 : exp(-d * d / 20)
        }
        try heatmap(Tensor(att30, shape: [30, 30]), rowLabels: words30, colLabels: words30,
                    title: "causal self-attention, head 3", xLabel: "key", yLabel: "query")
            .write(to: out + "/attention30.png")

        for name in ["curves", "attention", "confusion", "grid", "filters", "fig6", "confusion10", "attention30"] {
            let image = try PNGImage(contentsOfFile: out + "/\(name).png")
            XCTAssertEqual(image.format, .rgb)
            XCTAssertGreaterThan(image.width, 100)
        }
    }

    // MARK: helpers

    private func pixels(_ canvas: Canvas, in r: PixelRect) -> [RGB] {
        var out: [RGB] = []
        for y in max(0, r.y)..<min(canvas.height, r.maxY) {
            for x in max(0, r.x)..<min(canvas.width, r.maxX) { out.append(canvas[x, y]) }
        }
        return out
    }

    private func hasInk(_ canvas: Canvas, in r: PixelRect) -> Bool {
        pixels(canvas, in: r).contains { $0.luminance < 0.5 }
    }

    /// The bounding box of dark pixels inside `r`.
    private func inkBox(_ canvas: Canvas, in r: PixelRect) -> PixelRect? {
        var x0 = Int.max, y0 = Int.max, x1 = Int.min, y1 = Int.min
        for y in max(0, r.y)..<min(canvas.height, r.maxY) {
            for x in max(0, r.x)..<min(canvas.width, r.maxX) where canvas[x, y].luminance < 0.5 {
                x0 = min(x0, x); y0 = min(y0, y); x1 = max(x1, x); y1 = max(y1, y)
            }
        }
        return x0 == .max ? nil : PixelRect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)
    }

    private func overlaps(_ a: PixelRect, _ b: PixelRect) -> Bool {
        a.x < b.maxX && b.x < a.maxX && a.y < b.maxY && b.y < a.maxY
    }

    private func contains(_ outer: PixelRect, _ inner: PixelRect) -> Bool {
        inner.x >= outer.x && inner.y >= outer.y && inner.maxX <= outer.maxX && inner.maxY <= outer.maxY
    }
}
