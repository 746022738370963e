import Foundation
internal import CPNG

/// Why a PNG could not be read or written: one line that names the file.
public enum PNGError: Error, Equatable, CustomStringConvertible, LocalizedError {
    /// The file could not be opened for reading (missing, a directory, no permission).
    case cannotOpen(path: String, reason: String)
    /// The file opened but is not a PNG libpng can decode (truncated, another format).
    case cannotDecode(path: String, reason: String)
    /// The file could not be written (missing directory, read-only, disk full).
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason): return "cannot open PNG '\(path)': \(reason)"
        case let .cannotDecode(path, reason): return "cannot decode PNG '\(path)': \(reason)"
        case let .cannotWrite(path, reason): return "cannot write PNG '\(path)': \(reason)"
        }
    }

    public var errorDescription: String? { description }
}

/// An 8-bit image in memory: gray, RGB or RGBA, rows top to bottom, channels interleaved.
public struct PNGImage: Equatable, Sendable {
    /// Pixel layout; the raw value is the number of channels.
    public enum Format: Int, Sendable {
        case gray = 1, rgb = 3, rgba = 4
    }

    public var width: Int
    public var height: Int
    public var format: Format
    /// `width * height * format.rawValue` bytes.
    public var pixels: [UInt8]

    /// Bytes per pixel: 1, 3 or 4.
    public var channels: Int { format.rawValue }

    public init(width: Int, height: Int, format: Format, pixels: [UInt8]) {
        precondition(width > 0 && height > 0, "PNGImage: empty image \(width)x\(height)")
        precondition(pixels.count == width * height * format.rawValue,
                     "PNGImage: \(pixels.count) bytes for a \(width)x\(height) \(format) image")
        self.width = width; self.height = height; self.format = format; self.pixels = pixels
    }

    /// Reads any PNG libpng understands, as 8-bit gray (gray files), RGB (colour files) or
    /// RGBA (files with transparency). 16-bit and palette files are converted to 8 bits.
    public init(contentsOfFile path: String) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw PNGError.cannotOpen(path: path, reason: "no such file")
        }
        if isDir.boolValue { throw PNGError.cannotOpen(path: path, reason: "is a directory") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw PNGError.cannotOpen(path: path, reason: "permission denied")
        }

        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        guard png_image_begin_read_from_file(&image, path) != 0 else {
            throw PNGError.cannotDecode(path: path, reason: Self.message(of: &image))
        }
        let hasColor = image.format & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
        let hasAlpha = image.format & png_uint_32(PNG_FORMAT_FLAG_ALPHA) != 0
        let format: Format = hasAlpha ? .rgba : (hasColor ? .rgb : .gray)
        // Asking for exactly 8-bit, non-colormapped output makes libpng expand the rest.
        image.format = Self.libpngFormat(format)
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * format.rawValue)
        let ok = pixels.withUnsafeMutableBytes { buf in
            png_image_finish_read(&image, nil, buf.baseAddress, 0, nil)
        }
        // On failure libpng has already freed the image's internals.
        guard ok != 0 else {
            throw PNGError.cannotDecode(path: path, reason: Self.message(of: &image))
        }
        self.init(width: width, height: height, format: format, pixels: pixels)
    }

    /// Writes the image atomically: to a temporary file beside `path`, flushed to disk, then
    /// renamed over `path`, so a reader never sees half a picture.
    public func write(to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let dir = url.deletingLastPathComponent().path
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue
        else {
            throw PNGError.cannotWrite(path: path, reason: "directory '\(dir)' does not exist")
        }
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard let file = fopen(tmp, "wb") else {
            throw PNGError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
        }
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = Self.libpngFormat(format)
        let ok = pixels.withUnsafeBytes { buf in
            png_image_write_to_stdio(&image, file, 0, buf.baseAddress, 0, nil)
        }
        var failure: String? = ok == 0 ? Self.message(of: &image) : nil
        if failure == nil, fflush(file) != 0 || fsync(fileno(file)) != 0 {
            failure = String(cString: strerror(errno))
        }
        if fclose(file) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if failure == nil, rename(tmp, path) != 0 { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(tmp)
            throw PNGError.cannotWrite(path: path, reason: failure)
        }
    }

    private static func libpngFormat(_ format: Format) -> png_uint_32 {
        switch format {
        case .gray: return png_uint_32(PNG_FORMAT_GRAY)
        case .rgb: return png_uint_32(PNG_FORMAT_FLAG_COLOR)
        case .rgba: return png_uint_32(PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA)
        }
    }

    /// libpng's own one-line message (a fixed 64-byte C string inside png_image).
    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            return text.isEmpty ? "unknown libpng error" : text
        }
    }
}
