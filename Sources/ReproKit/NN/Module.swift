/// A layer or a model: parameters, buffers and child modules, found by their property names.
///
/// Names follow PyTorch's `state_dict`: a property `conv1` holding a `Conv2d` whose
/// `@Parameter var weight` gives `conv1.weight`; a `[Module]` property `layers` gives
/// `layers.0.…`. Those names become the checkpoint's dataset names, so a checkpoint lines up
/// with a PyTorch model of the same structure. Declare parameters with `@Parameter`, running
/// statistics with `@Buffer`, and children as `let`/`var` properties of module type.
///
/// Tied weights are one tensor object in two slots (`out.weight = embed.weight`, as Vaswani
/// et al. tie the embedding and the output projection; or one module reachable twice). Every
/// listing below names such a tensor once, under its first name in PyTorch's order, so that
/// it is counted, saved and optimized once; `tiedParameters()` gives its other names.
open class Module {
    /// Training or evaluation mode; `train()`/`eval()` set it on the whole tree.
    public private(set) var isTraining = true

    public init() {}

    /// The module's output for `input`. Subclasses with one input override this.
    open func callAsFunction(_ input: Tensor) -> Tensor {
        preconditionFailure("\(type(of: self)) does not take a single tensor input")
    }

    /// Sets training mode here and in every descendant.
    public func train(_ on: Bool = true) {
        isTraining = on
        for (_, child) in namedChildren() { child.train(on) }
    }

    /// Sets evaluation mode here and in every descendant.
    public func eval() { train(false) }

    /// Direct children with their names, in declaration order.
    open func namedChildren() -> [(String, Module)] {
        var out: [(String, Module)] = []
        forEachProperty { name, value in
            if let m = value as? Module { out.append((name, m)) }
            else if let list = value as? [Module] {
                for (i, m) in list.enumerated() { out.append(("\(name).\(i)", m)) }
            }
        }
        return out
    }

    /// Parameters whose names are computed at run time rather than declared as properties,
    /// as PyTorch's `register_parameter` does: a multi-layer GRU's `weight_ih_l0` …
    /// `bias_hh_l1_reverse`. Listed after the declared tensors, before the children.
    /// Default: none.
    open func registeredParameters() -> [(String, Parameter<Tensor>)] { [] }

    /// Every parameter in the tree with its dotted name (`layer1.0.conv1.weight`), each
    /// tensor once, as PyTorch's `named_parameters()` (remove_duplicate=True): a tied tensor
    /// under the first name it is reachable by.
    public func namedParameters() -> [(String, Tensor)] {
        splitAliases(collect(Self.parameter)).unique
    }

    /// Every buffer (running statistics and the like) with its dotted name, each tensor once.
    public func namedBuffers() -> [(String, Tensor)] {
        splitAliases(collect(Self.buffer)).unique
    }

    /// Parameters and buffers: what a checkpoint saves, in PyTorch's `state_dict` order
    /// (each module's own parameters, then its buffers, then its children).
    ///
    /// Each tensor once, under its first name: unlike PyTorch's `state_dict()`, which keeps
    /// a tied tensor under all its names, a checkpoint stores it once (`tiedParameters()`
    /// lists the names left out, for a reader or a loader of a PyTorch file to map).
    public func stateDict() -> [(String, Tensor)] {
        splitAliases(collect(Self.stateTensor)).unique
    }

    /// The names left out of `stateDict()` because their tensor is already in it under an
    /// earlier name (tied weights, a shared module): each alias with that canonical name, in
    /// state_dict order. Covers buffers too. Empty for a model without ties.
    public func tiedParameters() -> [(alias: String, canonical: String)] {
        splitAliases(collect(Self.stateTensor)).aliases
    }

    /// Every random stream (dropout masks and the like) with its dotted name, each once (a
    /// module reachable twice draws from one stream). A checkpoint saves them so that a
    /// resumed run draws the same masks as an uninterrupted one.
    public func namedRandomStates() -> [(String, RandomState)] {
        var seen = Set<ObjectIdentifier>()
        return collect { $0 as? RandomState }.filter { seen.insert(ObjectIdentifier($0.1)).inserted }
    }

    /// The parameters alone, for an optimizer.
    public var parameters: [Tensor] { namedParameters().map(\.1) }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    private static func parameter(_ value: Any) -> Tensor? {
        (value as? TensorSlot).flatMap { $0.isBuffer ? nil : $0.tensor }
    }

    private static func buffer(_ value: Any) -> Tensor? {
        (value as? TensorSlot).flatMap { $0.isBuffer ? $0.tensor : nil }
    }

    private static func stateTensor(_ value: Any) -> Tensor? { (value as? TensorSlot)?.tensor }

    /// What `pick` finds in the tree, under every name it is reachable by (a tied tensor,
    /// a shared module's stream, more than once), this module's own before its children's.
    private func collect<T>(_ pick: (Any) -> T?) -> [(String, T)] {
        var out: [(String, T)] = []
        forEachProperty { name, value in
            if let t = pick(value) { out.append((name, t)) }
        }
        for (childName, child) in namedChildren() {
            out += child.collect(pick).map { ("\(childName).\($0.0)", $0.1) }
        }
        return out
    }

    /// Stored properties of this object, superclass first, wrapper underscores removed; then
    /// the `registeredParameters()`.
    private func forEachProperty(_ body: (String, Any) -> Void) {
        var mirrors: [Mirror] = []
        var m: Mirror? = Mirror(reflecting: self)
        while let cur = m { mirrors.append(cur); m = cur.superclassMirror }
        for mirror in mirrors.reversed() {
            for child in mirror.children {
                guard var name = child.label else { continue }
                if name.hasPrefix("_") { name.removeFirst() }
                if name == "isTraining" { continue }
                var value = child.value
                // Unwrap optionals (an optional bias, an optional child).
                let om = Mirror(reflecting: value)
                if om.displayStyle == .optional {
                    guard let some = om.children.first else { continue }
                    value = some.value
                }
                body(name, value)
            }
        }
        for (name, p) in registeredParameters() { body(name, p) }
    }
}

/// `named` with each tensor object kept at its first name only (`unique`), and the names
/// dropped, each with the name its tensor kept (`aliases`). Identity, not value: two equal
/// tensors are two parameters.
func splitAliases(_ named: [(String, Tensor)])
    -> (unique: [(String, Tensor)], aliases: [(alias: String, canonical: String)]) {
    var first: [ObjectIdentifier: String] = [:]
    var unique: [(String, Tensor)] = [], aliases: [(alias: String, canonical: String)] = []
    for (name, t) in named {
        if let canonical = first[ObjectIdentifier(t)] {
            aliases.append((name, canonical))
        } else {
            first[ObjectIdentifier(t)] = name
            unique.append((name, t))
        }
    }
    return (unique, aliases)
}

/// What `@Parameter` and `@Buffer` have in common: a slot that may hold a tensor.
protocol TensorSlot: AnyObject {
    var tensor: Tensor? { get }
    var isBuffer: Bool { get }
}

/// A trainable tensor of a module (`weight`, `bias`); `Tensor` or `Tensor?` (an optional
/// bias). Gradients are on by construction.
@propertyWrapper
public final class Parameter<Value>: TensorSlot {
    public var wrappedValue: Value {
        didSet { tensor?.requiresGrad = true }
    }
    public init(wrappedValue: Value) {
        self.wrappedValue = wrappedValue
        tensor?.requiresGrad = true
    }
    var tensor: Tensor? { wrappedValue as? Tensor }
    var isBuffer: Bool { false }
}

/// Module state that is saved but not trained (BatchNorm's running statistics).
@propertyWrapper
public final class Buffer<Value>: TensorSlot {
    public var wrappedValue: Value
    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
    var tensor: Tensor? { wrappedValue as? Tensor }
    var isBuffer: Bool { true }
}

/// A module's own random stream (e.g. Dropout's), found by name like parameters so that
/// checkpoints save it.
@propertyWrapper
public final class RandomState {
    public var wrappedValue: RNG
    public init(wrappedValue: RNG) { self.wrappedValue = wrappedValue }
}
