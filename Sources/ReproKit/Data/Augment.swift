import Foundation

/// The standard image-paper augmentations (He et al. 2016 on CIFAR: pad 4, random 32×32 crop,
/// random horizontal flip), applied in place to a batch tensor [N, C, H, W], outside autograd.
///
/// Randomness comes from the caller's `RNG`, drawn on the calling thread in a fixed order
/// (documented per function) so a run's augmentations depend on its seed alone, whatever the
/// thread count; the pixel work is then split across the thread pool with no allocation.
public enum Augment {
    /// Random crop with padding: conceptually pads each image by `padding` on every side with
    /// `fill` and crops an H×W window at a random offset, as torchvision's
    /// `RandomCrop(size, padding)`. Draws, per image in order: dy then dx, each
    /// `rng.int(below: 2 * padding + 1)`.
    /// - Parameter fill: the pad value per channel (or one for all). On a normalised batch,
    ///   torchvision's black padding is `-mean[c] / std[c]`; the default 0 pads with the mean.
    public static func randomCrop(_ x: Tensor, padding: Int, fill: [Float] = [0], rng: inout RNG) {
        precondition(padding >= 0, "randomCrop: negative padding")
        let n = batchCount(x)
        var offsets = [Int](repeating: 0, count: 2 * n)
        for i in 0..<n {
            offsets[2 * i] = rng.int(below: 2 * padding + 1)
            offsets[2 * i + 1] = rng.int(below: 2 * padding + 1)
        }
        crop(x, padding: padding, offsets: offsets, fill: fill)
    }

    /// The crop of `randomCrop` with given offsets: `offsets[2i]`, `offsets[2i+1]` are image
    /// i's dy, dx in 0...2·padding, and out[y][x] = in[y + dy − p][x + dx − p] (or `fill`).
    public static func crop(_ x: Tensor, padding: Int, offsets: [Int], fill: [Float] = [0]) {
        let (n, c, h, w) = dims(x)
        precondition(offsets.count == 2 * n, "crop: \(offsets.count) offsets for \(n) images")
        precondition(offsets.allSatisfy { $0 >= 0 && $0 <= 2 * padding }, "crop: offsets outside 0...\(2 * padding)")
        precondition(fill.count == 1 || fill.count == c, "crop: \(fill.count) fill values for \(c) channels")
        let fills = (0..<c).map { fill.count == 1 ? fill[0] : fill[$0] }
        offsets.withUnsafeBufferPointer { o in
            fills.withUnsafeBufferPointer { f in
                shiftPlanes(x.data, n, c, h, w, padding, o.baseAddress!, f.baseAddress!)
            }
        }
    }

    /// Mirrors each image left-right with probability `probability`. Draws, per image in
    /// order: one `rng.uniform()`; the image flips when it is below `probability`.
    public static func randomHorizontalFlip(_ x: Tensor, probability: Float = 0.5, rng: inout RNG) {
        let n = batchCount(x)
        var mask = [Bool](repeating: false, count: n)
        for i in 0..<n { mask[i] = rng.uniform() < probability }
        horizontalFlip(x, mask: mask)
    }

    /// Mirrors left-right the images whose `mask` entry is true.
    public static func horizontalFlip(_ x: Tensor, mask: [Bool]) {
        let (n, c, h, w) = dims(x)
        precondition(mask.count == n, "horizontalFlip: \(mask.count) flags for \(n) images")
        mask.withUnsafeBufferPointer { m in flipPlanes(x.data, n, c, h, w, m.baseAddress!) }
    }

    /// `randomCrop` then `randomHorizontalFlip`: all crop draws for the batch, then all flip draws.
    public static func randomCropFlip(_ x: Tensor, padding: Int, fill: [Float] = [0], rng: inout RNG) {
        randomCrop(x, padding: padding, fill: fill, rng: &rng)
        randomHorizontalFlip(x, rng: &rng)
    }

    private static func dims(_ x: Tensor) -> (Int, Int, Int, Int) {
        precondition(x.rank == 4, "augmentations take a batch [N, C, H, W], got \(x.shape)")
        return (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    }

    private static func batchCount(_ x: Tensor) -> Int { dims(x).0 }

    /// Shifts each plane by (dy − p, dx − p) in place. Rows are visited in the order that
    /// reads a source row before it is overwritten; memmove copies within a row.
    @inline(never)
    private static func shiftPlanes(_ data: UnsafeMutablePointer<Float>, _ n: Int, _ c: Int, _ h: Int, _ w: Int,
                                    _ p: Int, _ offsets: UnsafePointer<Int>, _ fills: UnsafePointer<Float>) {
        let plane = h * w
        Threads.pool.parallelFor(n * c, grain: max(1, (1 << 14) / max(plane, 1))) { r in
            for q in r {
                let (i, ch) = q.quotientAndRemainder(dividingBy: c)
                let sy = offsets[2 * i] - p, sx = offsets[2 * i + 1] - p
                if sy == 0 && sx == 0 { continue }
                let base = data + q * plane
                let v = fills[ch]
                // Columns x in [x0, x1) read source column x + sx; the rest is padding.
                let x0 = max(0, -sx), x1 = min(w, w - sx)
                for step in 0..<h {
                    let y = sy >= 0 ? step : h - 1 - step
                    let row = base + y * w
                    let srcY = y + sy
                    if srcY < 0 || srcY >= h || x0 >= x1 {
                        for x in 0..<w { row[x] = v }
                        continue
                    }
                    memmove(row + x0, base + srcY * w + x0 + sx, (x1 - x0) * MemoryLayout<Float>.stride)
                    for x in 0..<x0 { row[x] = v }
                    for x in x1..<w { row[x] = v }
                }
            }
        }
    }

    @inline(never)
    private static func flipPlanes(_ data: UnsafeMutablePointer<Float>, _ n: Int, _ c: Int, _ h: Int, _ w: Int,
                                   _ mask: UnsafePointer<Bool>) {
        let plane = h * w
        Threads.pool.parallelFor(n * c, grain: max(1, (1 << 14) / max(plane, 1))) { r in
            for q in r where mask[q / c] {
                let base = data + q * plane
                for y in 0..<h {
                    let row = base + y * w
                    var a = 0, b = w - 1
                    while a < b { let t = row[a]; row[a] = row[b]; row[b] = t; a += 1; b -= 1 }
                }
            }
        }
    }
}
