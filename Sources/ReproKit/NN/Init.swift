/// Weight initialisers, drawing from the run's seeded RNG. `fanIn`/`fanOut` follow PyTorch:
/// for a weight [out, in, k…], fan_in = in·∏k and fan_out = out·∏k.
public enum Init {
    /// fan_in and fan_out of a Linear/Conv weight shape [out, in, k…].
    public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
        precondition(shape.count >= 2, "fans need a weight of rank ≥ 2, got \(shape)")
        let receptive = shape.dropFirst(2).reduce(1, *)
        return (shape[1] * receptive, shape[0] * receptive)
    }

    /// U(−1/√fan_in, 1/√fan_in): PyTorch's default for Linear and Conv weights
    /// (kaiming_uniform with a = √5) and biases.
    public static func pytorchDefault(_ shape: [Int], fanIn: Int, rng: inout RNG) -> Tensor {
        let bound = 1 / Float(max(fanIn, 1)).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, rng: &rng)
    }

    /// Kaiming (He) normal, fan-in mode: N(0, gain²/fan_in), gain √2 for ReLU
    /// (He et al. 2015, the ResNet paper's init).
    public static func kaimingNormal(_ shape: [Int], gain: Float = Float(2).squareRoot(), rng: inout RNG) -> Tensor {
        let std = gain / Float(fans(shape).fanIn).squareRoot()
        return Tensor.randn(shape, std: std, rng: &rng)
    }

    /// Kaiming uniform, fan-in mode: U(−b, b) with b = gain·√(3/fan_in).
    public static func kaimingUniform(_ shape: [Int], gain: Float = Float(2).squareRoot(), rng: inout RNG) -> Tensor {
        let bound = gain * (3 / Float(fans(shape).fanIn)).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, rng: &rng)
    }

    /// Xavier (Glorot) uniform: U(−b, b) with b = gain·√(6/(fan_in + fan_out)).
    public static func xavierUniform(_ shape: [Int], gain: Float = 1, rng: inout RNG) -> Tensor {
        let (i, o) = fans(shape)
        let bound = gain * (6 / Float(i + o)).squareRoot()
        return Tensor.uniform(shape, low: -bound, high: bound, rng: &rng)
    }

    /// Xavier (Glorot) normal: N(0, gain²·2/(fan_in + fan_out)).
    public static func xavierNormal(_ shape: [Int], gain: Float = 1, rng: inout RNG) -> Tensor {
        let (i, o) = fans(shape)
        return Tensor.randn(shape, std: gain * (2 / Float(i + o)).squareRoot(), rng: &rng)
    }

    /// N(0, σ²), e.g. AlexNet's N(0, 0.01²).
    public static func normal(_ shape: [Int], std: Float, rng: inout RNG) -> Tensor {
        Tensor.randn(shape, std: std, rng: &rng)
    }

    /// A random orthogonal matrix (Saxe et al. 2014), as PyTorch's `orthogonal_`: a weight
    /// [rows, cols…] seen as rows × (∏ cols) with orthonormal rows (rows ≤ cols) or
    /// orthonormal columns (rows ≥ cols); a square one is orthogonal, QᵀQ = QQᵀ = I.
    /// Drawn as the Q of a QR factorisation (modified Gram–Schmidt, in Double) of a standard
    /// Gaussian matrix, whose R has a positive diagonal: Q is then Haar-distributed. Bahdanau
    /// et al. (2015, App. B.1) start their recurrent weight matrices so.
    public static func orthogonal(_ shape: [Int], rng: inout RNG) -> Tensor {
        precondition(shape.count >= 2, "orthogonal needs a weight of rank ≥ 2, got \(shape)")
        let rows = shape[0], cols = shape.dropFirst().reduce(1, *)
        // Orthonormalise the k = min(rows, cols) columns of an n × k Gaussian matrix.
        let (n, k) = (max(rows, cols), min(rows, cols))
        let g = Tensor.randn([k, n], rng: &rng).scalars      // column j = g[j*n ..< (j+1)*n]
        var q = g.map(Double.init)
        for j in 0..<k {
            for i in 0..<j {
                var dot = 0.0
                for r in 0..<n { dot += q[i * n + r] * q[j * n + r] }
                for r in 0..<n { q[j * n + r] -= dot * q[i * n + r] }
            }
            var norm = 0.0
            for r in 0..<n { norm += q[j * n + r] * q[j * n + r] }
            norm = norm.squareRoot()
            precondition(norm > 0, "orthogonal: a degenerate Gaussian draw")
            for r in 0..<n { q[j * n + r] /= norm }
        }
        // q holds k orthonormal vectors of length n: the rows of the weight when it is
        // wide (rows ≤ cols), its columns when it is tall.
        var out = [Float](repeating: 0, count: rows * cols)
        for j in 0..<k {
            for r in 0..<n {
                if rows <= cols { out[j * cols + r] = Float(q[j * n + r]) } else { out[r * cols + j] = Float(q[j * n + r]) }
            }
        }
        return Tensor(out, shape: shape)
    }
}
