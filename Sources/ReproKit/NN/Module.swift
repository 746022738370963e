/// A layer or a model: parameters, buffers and child modules, found by their property names.
///
/// Names follow PyTorch's `state_dict`: a property `conv1` holding a `Conv2d` whose
/// `@Parameter var weight` gives `conv1.weight`; a `[Module]` property `layers` gives
/// `layers.0.…`. Those names become the checkpoint's dataset names, so a checkpoint lines up
/// with a PyTorch model of the same structure. Declare parameters with `@Parameter`, running
/// statistics with `@Buffer`, and children as `let`/`var` properties of module type.
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

    /// Every parameter in the tree with its dotted name (`layer1.0.conv1.weight`).
    public func namedParameters() -> [(String, Tensor)] {
        collect { value in (value as? TensorSlot).flatMap { $0.isBuffer ? nil : $0.tensor } }
    }

    /// Every buffer (running statistics and the like) with its dotted name.
    public func namedBuffers() -> [(String, Tensor)] {
        collect { value in (value as? TensorSlot).flatMap { $0.isBuffer ? $0.tensor : nil } }
    }

    /// Parameters and buffers: what a checkpoint saves, in PyTorch's `state_dict` order
    /// (each module's own parameters, then its buffers, then its children).
    public func stateDict() -> [(String, Tensor)] {
        collect { value in (value as? TensorSlot)?.tensor }
    }

    /// Every random stream (dropout masks and the like) with its dotted name. A checkpoint
    /// saves them so that a resumed run draws the same masks as an uninterrupted one.
    public func namedRandomStates() -> [(String, RandomState)] {
        var out: [(String, RandomState)] = []
        forEachProperty { name, value in
            if let r = value as? RandomState { out.append((name, r)) }
        }
        for (childName, child) in namedChildren() {
            out += child.namedRandomStates().map { ("\(childName).\($0.0)", $0.1) }
        }
        return out
    }

    /// The parameters alone, for an optimizer.
    public var parameters: [Tensor] { namedParameters().map(\.1) }

    /// Number of scalar parameters.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    private func collect(_ pick: (Any) -> Tensor?) -> [(String, Tensor)] {
        var own: [(String, Tensor)] = []
        forEachProperty { name, value in
            if let t = pick(value) { own.append((name, t)) }
        }
        var out = own
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
