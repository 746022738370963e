import Foundation

/// Learned convolution filters as a picture (AlexNet's Fig. 3: the 96 first-layer kernels).
/// A weight `[out, in, kh, kw]` with 1 or 3 input channels becomes one gray or colour tile
/// per filter; with more input channels each (filter, input channel) slice is a gray tile,
/// one row per filter, the first `maxInputChannels` of them.
///
/// Each tile is stretched from its own min to its own max (as the paper's figure), so the
/// shape of every filter shows whatever its scale; `normalize: .global` keeps scales
/// comparable instead.
public func filterGrid(_ weight: Tensor, title: String? = nil, scale: Int? = nil, columns: Int? = nil,
                       maxFilters: Int = 256, maxInputChannels: Int = 8,
                       normalize: ImageNormalization = .perImage) throws -> Canvas {
    let s = weight.shape
    precondition(s.count == 4, "filterGrid: want a conv weight [out, in, kh, kw], got \(s)")
    let out = Swift.min(s[0], maxFilters), inC = s[1], kh = s[2], kw = s[3]
    // Small kernels drawn large enough to see: a 5×5 kernel becomes 40×40 pixels.
    let px = scale ?? Swift.max(2, 40 / Swift.max(kh, kw))
    let w = weight
    if inC == 1 || inC == 3 {
        let tiles = Tensor(Array(UnsafeBufferPointer(start: w.data, count: out * inC * kh * kw)),
                           shape: [out, inC, kh, kw])
        let cols = columns ?? Swift.min(out, Int(Double(out).squareRoot().rounded(.up)) + 2)
        return try ImageGrid(tiles, columns: cols, scale: px, normalize: normalize, title: title).canvas
    }
    let shown = Swift.min(inC, maxInputChannels)
    let tiles = Tensor(uninitializedShape: [out * shown, 1, kh, kw])
    let plane = kh * kw
    for o in 0..<out {
        for c in 0..<shown {
            (tiles.data + (o * shown + c) * plane)
                .update(from: w.data + (o * inC + c) * plane, count: plane)
        }
    }
    return try ImageGrid(tiles, columns: columns ?? shown, scale: px, normalize: normalize, title: title).canvas
}
