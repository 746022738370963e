/// A dense, row-major float32 array with a shape, and the autograd record of how it was made.
///
/// Tensors are reference objects: an optimizer updates a parameter in place, and the
/// autograd graph points at the very tensors an op read. Their elements always lie
/// contiguously in `storage` from `offset` on, so every kernel sees a plain buffer;
/// `reshaped` and leading-axis slices are views that share the storage, anything else copies.
public final class Tensor {
    /// The size of each axis, outermost first. `[]` is a scalar.
    public let shape: [Int]
    /// The number of elements (the product of `shape`).
    public let count: Int
    public let storage: Storage
    public let offset: Int

    /// Set on leaves (parameters, inputs under test) whose gradient `backward()` should fill.
    public var requiresGrad: Bool = false
    /// The accumulated gradient of the last `backward()`, same shape as the tensor.
    public var grad: Tensor?
    /// How this tensor was computed, when gradients flow through it.
    var gradNode: GradNode?

    /// Uninitialised storage: for ops that write every element.
    public init(uninitializedShape shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in shape \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.storage = Storage(count: count)
        self.offset = 0
    }

    /// A view of `storage` (no copy).
    init(storage: Storage, offset: Int, shape: [Int]) {
        self.shape = shape
        self.count = shape.reduce(1, *)
        precondition(offset + count <= storage.count, "view out of bounds")
        self.storage = storage
        self.offset = offset
    }

    /// A tensor filled with `value`.
    public convenience init(shape: [Int], repeating value: Float) {
        self.init(uninitializedShape: shape)
        Kernels.fill(data, value, count)
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }
    /// A tensor of ones.
    public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

    /// A tensor holding `values` (row-major) with `shape`.
    public convenience init(_ values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *),
                     "\(values.count) values do not fill shape \(shape)")
        self.init(uninitializedShape: shape)
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { data.update(from: base, count: values.count) }
        }
    }

    /// A one-dimensional tensor holding `values`.
    public convenience init(_ values: [Float]) { self.init(values, shape: [values.count]) }

    /// A scalar tensor (shape `[]`).
    public convenience init(scalar: Float) { self.init([scalar], shape: []) }

    /// Raw pointer to the first element; `count` elements follow contiguously.
    @inlinable public var data: UnsafeMutablePointer<Float> { storage.pointer + offset }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// A copy of the elements, row-major.
    public var scalars: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    /// The single element of a one-element tensor.
    public func item() -> Float {
        precondition(count == 1, "item() needs one element, shape is \(shape)")
        return data[0]
    }

    /// Element at a multi-index (slow; for tests and printing).
    public subscript(_ index: Int...) -> Float {
        get { data[flatIndex(index)] }
        set { data[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == rank, "index \(index) for shape \(shape)")
        var flat = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of range for shape \(shape)")
            flat = flat * n + i
        }
        return flat
    }

    /// Resolves a possibly negative axis.
    public func axis(_ a: Int) -> Int {
        let r = a < 0 ? a + rank : a
        precondition(r >= 0 && r < Swift.max(rank, 1), "axis \(a) out of range for shape \(shape)")
        return r
    }

    /// Row-major strides of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var acc = 1
        for i in stride(from: shape.count - 1, through: 0, by: -1) { s[i] = acc; acc *= shape[i] }
        return s
    }

    /// A new tensor with the same elements and no autograd history.
    public func copy() -> Tensor {
        let out = Tensor(uninitializedShape: shape)
        out.data.update(from: data, count: count)
        return out
    }

    /// Copies `other`'s elements into this tensor in place (same count), outside autograd.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign: \(other.shape) into \(shape)")
        data.update(from: other.data, count: count)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let shown = scalars.prefix(8).map { String(format: "%.4g", Double($0)) }
        let more = count > 8 ? ", …" : ""
        return "Tensor(\(shape), [\(shown.joined(separator: ", "))\(more)])"
    }
}

import Foundation
