import Foundation
internal import CFreeType

/// Why a font could not be found or loaded.
public enum FontError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// No DejaVuSans.ttf anywhere we looked.
    case notFound(searched: [String])
    /// The file exists but FreeType cannot open it (not a font, truncated).
    case cannotLoad(path: String, code: Int)

    public var description: String {
        switch self {
        case let .notFound(searched):
            return "font DejaVuSans.ttf not found (looked in \(searched.joined(separator: ", "))); "
                + "install Debian's fonts-dejavu-core (apt-get install fonts-dejavu-core, or "
                + "scripts/setup) or set REPRO_FONT to a .ttf file"
        case let .cannotLoad(path, code):
            return "cannot load font '\(path)' (FreeType error \(code): not a TrueType font?); set REPRO_FONT to a .ttf "
                + "file, or unset it to use DejaVu Sans (apt-get install fonts-dejavu-core)"
        }
    }

    public var errorDescription: String? { description }
}

/// Rendered text as a coverage mask (0 = background, 255 = ink).
public struct TextBitmap: Sendable {
    public var width: Int
    public var height: Int
    /// Rows from the top of the bitmap down to the baseline.
    public var baseline: Int
    /// Columns from the left edge of the bitmap to the pen's starting point (non-zero only
    /// when a glyph overhangs to the left).
    public var originX: Int
    /// How far the pen moved: the width that alignment uses.
    public var advance: Int
    /// The font's ascent and descent at this size: the text box that alignment uses.
    public var ascent: Int
    public var descent: Int
    /// `width * height` bytes, row-major.
    public var coverage: [UInt8]
}

/// How text sits horizontally on its anchor point.
public enum TextAlign: Sendable { case left, center, right }

/// Which line of the text box its anchor point's y is.
public enum TextBaseline: Sendable {
    /// The font's ascent line: text hangs below y.
    case top
    /// Halfway between ascent and descent: text is centred on y.
    case middle
    /// The alphabetic baseline.
    case alphabetic
    /// The font's descent line: text stands above y.
    case bottom
}

/// Text direction on the canvas.
public enum TextRotation: Sendable {
    case none
    /// Turned 90° counter-clockwise, reading bottom to top (a y-axis label).
    case up
}

/// A TrueType font rendered by FreeType, anti-aliased, with a glyph cache.
/// One FreeType face is not thread-safe, so every call takes the font's lock.
public final class Font: @unchecked Sendable {
    public let path: String
    private let lock = NSLock()
    private var library: FT_Library?
    private var face: FT_Face?
    private var glyphs: [GlyphKey: Glyph] = [:]

    private struct GlyphKey: Hashable { let scalar: UInt32; let size26: Int }
    private struct Glyph {
        let index: UInt32
        let width: Int, height: Int, left: Int, top: Int
        let advance26: Int  // 26.6 fixed point
        let bitmap: [UInt8]
    }

    /// Loads a font file.
    public init(path: String) throws {
        self.path = path
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw FontError.notFound(searched: [path])
        }
        var lib: FT_Library?
        var err = FT_Init_FreeType(&lib)
        guard err == 0, let lib else { throw FontError.cannotLoad(path: path, code: Int(err)) }
        var f: FT_Face?
        err = FT_New_Face(lib, path, 0, &f)
        guard err == 0, let f else {
            // deinit runs for a failed init too; it must not free the library again.
            FT_Done_FreeType(lib)
            throw FontError.cannotLoad(path: path, code: Int(err))
        }
        library = lib
        face = f
    }

    deinit {
        if let face { FT_Done_Face(face) }
        if let library { FT_Done_FreeType(library) }
    }

    /// DejaVu Sans, found once and shared (loading a face costs milliseconds, and plots
    /// draw hundreds of strings).
    public static func dejaVuSans() throws -> Font { try shared.get() }

    private static let shared: Result<Font, FontError> = {
        do { return .success(try Font(path: try findDejaVuSans())) }
        catch let e as FontError { return .failure(e) }
        catch { return .failure(.cannotLoad(path: "DejaVuSans.ttf", code: -1)) }
    }()

    /// Where DejaVuSans.ttf is: `$REPRO_FONT` if set, else the usual places of Debian,
    /// Fedora, Arch and Homebrew, else any file of that name under the system font folders.
    public static func findDejaVuSans() throws -> String {
        let fm = FileManager.default
        if let env = ProcessInfo.processInfo.environment["REPRO_FONT"], !env.isEmpty {
            guard fm.isReadableFile(atPath: env) else { throw FontError.notFound(searched: [env + " ($REPRO_FONT)"]) }
            return env
        }
        let home = NSHomeDirectory()
        let candidates = [
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  // Debian, Ubuntu
            "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",  // Fedora
            "/usr/share/fonts/dejavu/DejaVuSans.ttf",
            "/usr/share/fonts/TTF/DejaVuSans.ttf",  // Arch
            "/usr/local/share/fonts/DejaVuSans.ttf",
            "/opt/homebrew/share/fonts/DejaVuSans.ttf",
            home + "/.local/share/fonts/DejaVuSans.ttf",
            home + "/.fonts/DejaVuSans.ttf",
        ]
        if let hit = candidates.first(where: { fm.isReadableFile(atPath: $0) }) { return hit }
        let roots = ["/usr/share/fonts", "/usr/local/share/fonts", home + "/.local/share/fonts"]
        for root in roots {
            guard let walk = fm.enumerator(atPath: root) else { continue }
            while let rel = walk.nextObject() as? String {
                if (rel as NSString).lastPathComponent == "DejaVuSans.ttf" { return root + "/" + rel }
            }
        }
        throw FontError.notFound(searched: ["/usr/share/fonts/truetype/dejavu"] + roots.dropFirst())
    }

    /// The font's line metrics at `size` pixels (em size): ascent above and descent below
    /// the baseline, both positive, in whole pixels.
    public func lineMetrics(size: Double) -> (ascent: Int, descent: Int) {
        lock.lock(); defer { lock.unlock() }
        setSize(size)
        let m = face!.pointee.size.pointee.metrics
        return (Int((Double(m.ascender) / 64).rounded(.up)), Int((Double(-m.descender) / 64).rounded(.up)))
    }

    /// The advance width of `text` at `size` pixels: how far the pen moves.
    public func measure(_ text: String, size: Double) -> Int {
        lock.lock(); defer { lock.unlock() }
        return layout(text, size: size).advance
    }

    /// Renders `text` on one line at `size` pixels into a coverage mask whose box is the
    /// advance width by the font's ascent + descent (so strings of one size line up).
    public func render(_ text: String, size: Double) -> TextBitmap {
        lock.lock(); defer { lock.unlock() }
        let (pieces, advance) = layout(text, size: size)
        let m = face!.pointee.size.pointee.metrics
        let ascent = Int((Double(m.ascender) / 64).rounded(.up))
        let descent = Int((Double(-m.descender) / 64).rounded(.up))
        // Glyphs may overhang the advance box (italic tails, 'j'); widen to hold them.
        var minX = 0, maxX = max(advance, 1), minY = 0, maxY = ascent + descent
        for (x, g) in pieces where g.width > 0 {
            minX = min(minX, x + g.left); maxX = max(maxX, x + g.left + g.width)
            minY = min(minY, ascent - g.top); maxY = max(maxY, ascent - g.top + g.height)
        }
        let w = maxX - minX, h = maxY - minY
        var coverage = [UInt8](repeating: 0, count: w * h)
        for (x, g) in pieces where g.width > 0 {
            let ox = x + g.left - minX, oy = ascent - g.top - minY
            for r in 0..<g.height {
                for c in 0..<g.width {
                    let v = g.bitmap[r * g.width + c]
                    let k = (oy + r) * w + ox + c
                    coverage[k] = max(coverage[k], v)
                }
            }
        }
        return TextBitmap(width: w, height: h, baseline: ascent - minY, originX: -minX,
                          advance: advance, ascent: ascent, descent: descent, coverage: coverage)
    }

    /// Pen positions (whole pixels) and glyphs for `text`, with the face's kerning.
    private func layout(_ text: String, size: Double) -> (pieces: [(Int, Glyph)], advance: Int) {
        setSize(size)
        let size26 = Int((size * 64).rounded())
        let kerning = face!.pointee.face_flags & FT_Long(FT_FACE_FLAG_KERNING) != 0
        var pen26 = 0
        var pieces: [(Int, Glyph)] = []
        var previous: UInt32 = 0
        for scalar in text.unicodeScalars {
            guard let g = glyph(scalar.value, size26: size26) else { continue }
            if kerning, previous != 0, g.index != 0 {
                var delta = FT_Vector()
                if FT_Get_Kerning(face, previous, g.index, UInt32(FT_KERNING_DEFAULT.rawValue), &delta) == 0 {
                    pen26 += Int(delta.x)
                }
            }
            pieces.append(((pen26 + 32) >> 6, g))
            pen26 += g.advance26
            previous = g.index
        }
        return (pieces, (pen26 + 32) >> 6)
    }

    private func setSize(_ size: Double) {
        FT_Set_Char_Size(face, 0, FT_F26Dot6((size * 64).rounded()), 72, 72)
    }

    private func glyph(_ scalar: UInt32, size26: Int) -> Glyph? {
        let key = GlyphKey(scalar: scalar, size26: size26)
        if let g = glyphs[key] { return g }
        let index = FT_Get_Char_Index(face, FT_ULong(scalar))
        // Light hinting: crisp vertical metrics without distorting glyph shapes.
        let flags = FT_Int32(FT_LOAD_RENDER) | (FT_Int32(FT_RENDER_MODE_LIGHT.rawValue) << 16)
        guard FT_Load_Glyph(face, index, flags) == 0 else { return nil }
        let slot = face!.pointee.glyph!.pointee
        let bm = slot.bitmap
        let w = Int(bm.width), h = Int(bm.rows), pitch = Int(bm.pitch)
        var bitmap = [UInt8](repeating: 0, count: w * h)
        if let buf = bm.buffer, w > 0, h > 0 {
            for r in 0..<h {
                let row = pitch >= 0 ? r * pitch : (h - 1 - r) * -pitch
                for c in 0..<w { bitmap[r * w + c] = buf[row + c] }
            }
        }
        let g = Glyph(index: index, width: w, height: h, left: Int(slot.bitmap_left),
                      top: Int(slot.bitmap_top), advance26: Int(slot.advance.x), bitmap: bitmap)
        glyphs[key] = g
        return g
    }
}
