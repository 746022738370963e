/// What a task keeps beyond its model and optimizers, saved in each checkpoint's `task/`
/// group so that a resumed run continues as if never stopped: EMA weights and other extra
/// state dicts, strings (a vocabulary), integers, and the task's own random streams.
///
/// Names may not contain "/". Loading is strict like the model's: the checkpoint must hold
/// exactly the names (and tensor shapes) that the task's `saveState()` gives.
public struct TaskState {
    public var tensors: [String: Tensor] = [:]
    public var strings: [String: String] = [:]
    public var integers: [String: Int] = [:]
    public var rng: [String: RNG] = [:]

    public init(tensors: [String: Tensor] = [:], strings: [String: String] = [:],
                integers: [String: Int] = [:], rng: [String: RNG] = [:]) {
        self.tensors = tensors; self.strings = strings; self.integers = integers; self.rng = rng
    }

    public var isEmpty: Bool { tensors.isEmpty && strings.isEmpty && integers.isEmpty && rng.isEmpty }

    /// Adds a state dict (e.g. an EMA's `shadow`) as `prefix.name` tensors.
    public mutating func add(_ stateDict: [(String, Tensor)], prefix: String) {
        for (name, t) in stateDict { tensors["\(prefix).\(name)"] = t }
    }

    /// Copies the `prefix.name` tensors back into `stateDict`'s tensors, in place.
    public func copy(prefix: String, into stateDict: [(String, Tensor)]) {
        for (name, t) in stateDict { if let saved = tensors["\(prefix).\(name)"] { t.assign(saved) } }
    }

    /// Every name as the checkpoint file has it (task/tensors/ema.fc.weight, rng/task.noise,
    /// task@step for an integer attribute), for strict comparison.
    var names: Set<String> {
        Set(tensors.keys.map { "task/tensors/\($0)" } + strings.keys.map { "task/strings/\($0)" }
            + integers.keys.map { "task@\($0)" } + rng.keys.map { "rng/task.\($0)" })
    }

    /// Throws unless `saved` has exactly this state's names and tensor shapes.
    func checkFits(_ saved: TaskState) throws {
        let mine = names, theirs = saved.names
        let wrongShape = tensors.keys.sorted().compactMap { name -> ShapeMismatch? in
            guard let s = saved.tensors[name], s.shape != tensors[name]!.shape else { return nil }
            return ShapeMismatch(name: "task/tensors/\(name)", checkpoint: s.shape, module: tensors[name]!.shape)
        }
        let missing = mine.subtracting(theirs).sorted(), unexpected = theirs.subtracting(mine).sorted()
        if !missing.isEmpty || !unexpected.isEmpty || !wrongShape.isEmpty {
            throw CheckpointError.mismatch(missing: missing, unexpected: unexpected, wrongShape: wrongShape)
        }
    }
}
