internal import CHDF5
import Foundation

/// An HDF5 failure in one line: the file, what was being done, and HDF5's innermost reason
/// (for I/O failures, the operating system's message such as "No space left on device").
public struct HDF5Error: Error, CustomStringConvertible, Sendable {
    /// The file.
    public let path: String
    /// What failed, e.g. "create dataset 'fc.weight'".
    public let operation: String
    /// HDF5's own reason, or empty when it gave none.
    public let reason: String

    public var description: String {
        "\(path): cannot \(operation)" + (reason.isEmpty ? "" : ": \(reason)")
    }
}

/// A scalar attribute value: HDF5 int64, float64 or UTF-8 string.
public enum HDF5Attribute: Equatable, Sendable {
    case int(Int)
    case double(Double)
    case string(String)
}

/// A dataset found by `HDF5File.datasets(in:)`: its path relative to the group, and its shape.
public struct HDF5Dataset: Equatable, Sendable {
    public let name: String
    public let shape: [Int]

    public init(name: String, shape: [Int]) {
        self.name = name
        self.shape = shape
    }
}

/// A small, safe handle on an HDF5 file: float32 tensors of any shape, int64/float64 scalars,
/// uint64 arrays, groups, and scalar attributes on any group (the root is "/").
///
/// Paths are HDF5 paths: "optimizer/momentum.fc.weight" is the dataset `momentum.fc.weight` in
/// the group `optimizer`; dots are ordinary characters. Datasets are written uncompressed and
/// contiguous, with little-endian file types, so h5py and numpy read them as they are. Groups
/// remember creation order, and `datasets(in:)` lists in that order (by name for files from
/// elsewhere). Every failure throws an `HDF5Error`; HDF5's own stderr error printing is off.
///
/// A file being created is built in memory and written out by `close()` with plain POSIX
/// writes: HDF5 itself never writes to disk, so a full disk is one clean error from `close()`
/// (HDF5 1.10 cannot recover from a failed flush at close and crashes at exit). Nothing but an
/// empty file is on disk until then; memory use is the file's size, twice during `close()`.
///
/// HDF5's serial build is not thread-safe, so every call into it holds one process-wide lock.
public final class HDF5File {
    public enum Mode: Sendable {
        /// A new file, replacing any file at the path.
        case create
        case read
        case readWrite
    }

    /// The path the file was opened with.
    public let path: String
    private var fid: hid_t = -1
    /// In `.create` mode, the descriptor `close()` writes the in-memory file to.
    private var output: Int32 = -1

    public init(_ path: String, mode: Mode) throws {
        self.path = path
        try locked {
            _ = H5Eset_auto2(repro_h5e_default(), nil, nil)
            let fapl = try check(H5Pcreate(repro_h5p_file_access()), "make a file-access list")
            defer { _ = H5Pclose(fapl) }
            // Strong close: H5Fclose closes (and flushes) everything, or fails; a forgotten
            // object must not keep the file half-written past `close()`.
            try check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "set the close degree")
            switch mode {
            case .create:
                // Open the target now, so a bad path fails here rather than at close().
                output = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
                if output < 0 {
                    throw HDF5Error(path: path, operation: "create the file", reason: errnoText())
                }
                try check(H5Pset_fapl_core(fapl, 4 << 20, false), "set up an in-memory file")
                let fcpl = try check(H5Pcreate(repro_h5p_file_create()), "make a file-creation list")
                defer { _ = H5Pclose(fcpl) }
                try check(H5Pset_link_creation_order(fcpl, repro_h5p_crt_order_tracked_indexed()),
                          "track creation order")
                fid = try check(H5Fcreate(path, repro_h5f_acc_trunc(), fcpl, fapl), "create the file")
            case .read:
                fid = try check(H5Fopen(path, repro_h5f_acc_rdonly(), fapl), "open the file")
            case .readWrite:
                fid = try check(H5Fopen(path, repro_h5f_acc_rdwr(), fapl), "open the file for writing")
            }
        }
    }

    deinit {
        if fid >= 0 { locked { _ = H5Fclose(fid) } }
        if output >= 0 { _ = Foundation.close(output) }
    }

    /// Closes the file. A created file is written out here, and with `sync` fsynced too; a
    /// failure (disk full) means the file on disk is incomplete.
    public func close(sync: Bool = false) throws {
        try locked {
            guard fid >= 0 else { return }
            let id = fid
            fid = -1
            let fd = output
            output = -1
            guard fd >= 0 else { try check(H5Fclose(id), "close the file"); return }
            defer { _ = Foundation.close(fd) }
            let image: [UInt8]
            do {
                try check(H5Fflush(id, H5F_SCOPE_GLOBAL), "flush the in-memory file")
                let size = try check(H5Fget_file_image(id, nil, 0), "get the file image")
                image = try [UInt8](unsafeUninitializedCapacity: size) { buf, n in
                    try check(H5Fget_file_image(id, buf.baseAddress, size), "get the file image")
                    n = size
                }
            } catch {
                _ = H5Fclose(id)
                throw error
            }
            try check(H5Fclose(id), "close the in-memory file")
            try image.withUnsafeBytes { buf in
                var done = 0
                while done < buf.count {
                    let n = Foundation.write(fd, buf.baseAddress! + done, buf.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n < 0 { throw HDF5Error(path: path, operation: "write the file", reason: errnoText()) }
                    done += n
                }
            }
            if sync && fsync(fd) != 0 {
                throw HDF5Error(path: path, operation: "fsync the file", reason: errnoText())
            }
        }
    }

    // MARK: Groups

    /// Creates the group at `path` (its parent must exist).
    public func createGroup(_ path: String) throws {
        try locked {
            try requireOpen()
            let gcpl = try check(H5Pcreate(repro_h5p_group_create()), "make a group-creation list")
            defer { _ = H5Pclose(gcpl) }
            try check(H5Pset_link_creation_order(gcpl, repro_h5p_crt_order_tracked_indexed()),
                      "track creation order")
            let g = try check(H5Gcreate2(fid, path, repro_h5p_default(), gcpl, repro_h5p_default()),
                              "create group '\(path)'")
            try check(H5Gclose(g), "close group '\(path)'")
        }
    }

    /// Whether a group or dataset exists at `path`.
    public func exists(_ path: String) -> Bool {
        if path.isEmpty || path == "/" { return fid >= 0 }
        return locked {
            guard fid >= 0 else { return false }
            // Fails (negative) when a parent group is missing: that is "no" as well.
            let r = H5Lexists(fid, path, repro_h5p_default())
            _ = H5Eclear2(repro_h5e_default())
            return r > 0
        }
    }

    /// Every dataset under `group`, recursively, with paths relative to it.
    public func datasets(in group: String = "/") throws -> [HDF5Dataset] {
        try locked {
            var out: [HDF5Dataset] = []
            try withObject(group) { g in try visit(g, prefix: "", into: &out) }
            return out
        }
    }

    // MARK: Datasets

    /// Writes `tensor` as a new float32 dataset of the tensor's shape.
    public func write(_ tensor: Tensor, to path: String) throws {
        try writeDataset(path, file: repro_h5t_ieee_f32le(), memory: repro_h5t_native_float(),
                         shape: tensor.shape, UnsafeRawPointer(tensor.data))
    }

    /// Reads a numeric dataset as a float32 tensor of its shape (other numeric types convert).
    public func readTensor(_ path: String) throws -> Tensor {
        try readDataset(path) { ds, shape in
            let t = Tensor(uninitializedShape: shape)
            if t.count > 0 {
                try check(H5Dread(ds, repro_h5t_native_float(), repro_h5s_all(), repro_h5s_all(),
                                  repro_h5p_default(), t.data), "read dataset '\(path)'")
            }
            return t
        }
    }

    /// Writes a scalar int64 dataset.
    public func writeInt64(_ value: Int, to path: String) throws {
        var v = Int64(value)
        try writeDataset(path, file: repro_h5t_std_i64le(), memory: repro_h5t_native_int64(),
                         shape: [], &v)
    }

    /// Reads a one-element numeric dataset as an integer.
    public func readInt64(_ path: String) throws -> Int {
        var v: Int64 = 0
        try readScalar(path, memory: repro_h5t_native_int64(), &v)
        return Int(v)
    }

    /// Writes a scalar float64 dataset.
    public func writeFloat64(_ value: Double, to path: String) throws {
        var v = value
        try writeDataset(path, file: repro_h5t_ieee_f64le(), memory: repro_h5t_native_double(),
                         shape: [], &v)
    }

    /// Reads a one-element numeric dataset as a double.
    public func readFloat64(_ path: String) throws -> Double {
        var v: Double = 0
        try readScalar(path, memory: repro_h5t_native_double(), &v)
        return v
    }

    /// Writes a uint64 dataset of `shape` holding `values` row-major.
    public func writeUInt64s(_ values: [UInt64], shape: [Int], to path: String) throws {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        try values.withUnsafeBytes { buf in
            try writeDataset(path, file: repro_h5t_std_u64le(), memory: repro_h5t_native_uint64(),
                             shape: shape, buf.baseAddress)
        }
    }

    /// Reads an integer dataset's elements, row-major, as uint64.
    public func readUInt64s(_ path: String) throws -> [UInt64] {
        try readDataset(path) { ds, shape in
            var out = [UInt64](repeating: 0, count: shape.reduce(1, *))
            if !out.isEmpty {
                _ = try out.withUnsafeMutableBytes { buf in
                    try check(H5Dread(ds, repro_h5t_native_uint64(), repro_h5s_all(), repro_h5s_all(),
                                      repro_h5p_default(), buf.baseAddress), "read dataset '\(path)'")
                }
            }
            return out
        }
    }

    /// Writes a scalar fixed-length UTF-8 string dataset (h5py reads it as bytes): unlike
    /// an attribute, a dataset has no 64 KiB limit, so a vocabulary fits.
    public func writeString(_ value: String, to path: String) throws {
        let bytes = Array(value.utf8)
        let type = try check(H5Tcopy(repro_h5t_c_s1()), "make a string type")
        defer { _ = H5Tclose(type) }
        guard H5Tset_size(type, Swift.max(bytes.count, 1)) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
            throw HDF5Error(path: self.path, operation: "make a string type", reason: takeReason())
        }
        try (bytes.isEmpty ? [0] : bytes).withUnsafeBytes { buf in
            try writeDataset(path, file: type, memory: type, shape: [], buf.baseAddress)
        }
    }

    /// Reads a scalar string dataset (fixed-length, as `writeString` and h5py write them).
    public func readString(_ path: String) throws -> String {
        try locked {
            try requireOpen()
            let ds = try check(H5Dopen2(fid, path, repro_h5p_default()), "open dataset '\(path)'")
            defer { _ = H5Dclose(ds) }
            let type = try check(H5Dget_type(ds), "read the type of '\(path)'")
            defer { _ = H5Tclose(type) }
            guard H5Tget_class(type) == H5T_STRING, H5Tis_variable_str(type) <= 0 else {
                throw HDF5Error(path: self.path, operation: "read dataset '\(path)'",
                                reason: "it does not hold one fixed-length string")
            }
            let size = H5Tget_size(type)
            var buf = [UInt8](repeating: 0, count: size + 1)
            try check(H5Dread(ds, type, repro_h5s_all(), repro_h5s_all(), repro_h5p_default(), &buf),
                      "read dataset '\(path)'")
            let end = buf.firstIndex(of: 0) ?? size
            return String(decoding: buf[..<end], as: UTF8.self)
        }
    }

    /// The shape of the dataset at `path` (`[]` for a scalar).
    public func shape(of path: String) throws -> [Int] {
        try readDataset(path) { _, shape in shape }
    }

    // MARK: Attributes

    /// Sets (or replaces) a scalar attribute on the group or dataset at `object`.
    public func setAttribute(_ name: String, _ value: HDF5Attribute, on object: String = "/") throws {
        try locked {
            try withObject(object) { obj in
                let what = "write attribute '\(name)' on '\(object)'"
                if H5Aexists(obj, name) > 0 { try check(H5Adelete(obj, name), what) }
                _ = H5Eclear2(repro_h5e_default())
                let space = try check(H5Screate(H5S_SCALAR), what)
                defer { _ = H5Sclose(space) }
                switch value {
                case .int(let v):
                    var x = Int64(v)
                    try writeAttribute(obj, name, repro_h5t_std_i64le(), repro_h5t_native_int64(),
                                       space, &x, what)
                case .double(let v):
                    var x = v
                    try writeAttribute(obj, name, repro_h5t_ieee_f64le(), repro_h5t_native_double(),
                                       space, &x, what)
                case .string(let s):
                    let type = try utf8StringType()
                    defer { _ = H5Tclose(type) }
                    try s.withCString { p in
                        var ptr: UnsafePointer<CChar>? = p
                        try writeAttribute(obj, name, type, type, space, &ptr, what)
                    }
                }
            }
        }
    }

    /// The attribute `name` of `object`, or nil when it does not exist or is not a scalar
    /// int, float or string.
    public func attribute(_ name: String, of object: String = "/") throws -> HDF5Attribute? {
        try locked {
            try withObject(object) { obj in
                let e = H5Aexists(obj, name)
                try check(e, "look up attribute '\(name)' on '\(object)'")
                return e > 0 ? try readAttribute(obj, name, object) : nil
            }
        }
    }

    /// All scalar int, float and string attributes of `object` (others are left out).
    public func attributes(of object: String = "/") throws -> [String: HDF5Attribute] {
        try locked {
            try withObject(object) { obj in
                var names: [String] = []
                _ = try withUnsafeMutablePointer(to: &names) { box in
                    try check(H5Aiterate2(obj, H5_INDEX_NAME, H5_ITER_INC, nil, { _, name, _, data in
                        if let name, let data {
                            data.assumingMemoryBound(to: [String].self).pointee.append(String(cString: name))
                        }
                        return 0
                    }, box), "list the attributes of '\(object)'")
                }
                var out: [String: HDF5Attribute] = [:]
                for n in names { out[n] = try readAttribute(obj, n, object) }
                return out
            }
        }
    }

    // MARK: Internals

    private func requireOpen() throws {
        if fid < 0 { throw HDF5Error(path: path, operation: "use the file", reason: "it is closed") }
    }

    /// Turns a negative HDF5 return into an `HDF5Error` carrying the innermost reason.
    @discardableResult
    private func check<I: BinaryInteger>(_ result: I, _ what: @autoclosure () -> String) throws -> I {
        if result < 0 { throw HDF5Error(path: path, operation: what(), reason: takeReason()) }
        return result
    }

    private func withObject<T>(_ path: String, _ body: (hid_t) throws -> T) throws -> T {
        try requireOpen()
        let obj = try check(H5Oopen(fid, path.isEmpty ? "/" : path, repro_h5p_default()),
                            "open '\(path)'")
        defer { _ = H5Oclose(obj) }
        return try body(obj)
    }

    private func writeDataset(_ path: String, file: hid_t, memory: hid_t, shape: [Int],
                              _ buffer: UnsafeRawPointer?) throws {
        try locked {
            try requireOpen()
            let space = try makeSpace(shape)
            defer { _ = H5Sclose(space) }
            let ds = try check(H5Dcreate2(fid, path, file, space, repro_h5p_default(),
                                          repro_h5p_default(), repro_h5p_default()),
                               "create dataset '\(path)'")
            if shape.reduce(1, *) > 0 {
                let status = H5Dwrite(ds, memory, repro_h5s_all(), repro_h5s_all(), repro_h5p_default(), buffer)
                if status < 0 {
                    let error = HDF5Error(path: self.path, operation: "write dataset '\(path)'",
                                          reason: takeReason())
                    _ = H5Dclose(ds)
                    throw error
                }
            }
            try check(H5Dclose(ds), "close dataset '\(path)'")
        }
    }

    /// Opens a numeric dataset and hands its id and shape to `body`.
    private func readDataset<T>(_ path: String, _ body: (hid_t, [Int]) throws -> T) throws -> T {
        try locked {
            try requireOpen()
            let ds = try check(H5Dopen2(fid, path, repro_h5p_default()), "open dataset '\(path)'")
            defer { _ = H5Dclose(ds) }
            let type = try check(H5Dget_type(ds), "read the type of '\(path)'")
            let cls = H5Tget_class(type)
            _ = H5Tclose(type)
            guard cls == H5T_FLOAT || cls == H5T_INTEGER else {
                throw HDF5Error(path: self.path, operation: "read dataset '\(path)'",
                                reason: "it does not hold numbers")
            }
            let space = try check(H5Dget_space(ds), "read the shape of '\(path)'")
            defer { _ = H5Sclose(space) }
            return try body(ds, try shapeOf(space, path))
        }
    }

    private func readScalar(_ path: String, memory: hid_t, _ out: UnsafeMutableRawPointer) throws {
        try readDataset(path) { ds, shape in
            guard shape.reduce(1, *) == 1 else {
                throw HDF5Error(path: self.path, operation: "read '\(path)' as a scalar",
                                reason: "it has shape \(shape)")
            }
            try check(H5Dread(ds, memory, repro_h5s_all(), repro_h5s_all(), repro_h5p_default(), out),
                      "read dataset '\(path)'")
        }
    }

    private func makeSpace(_ shape: [Int]) throws -> hid_t {
        if shape.isEmpty { return try check(H5Screate(H5S_SCALAR), "make a scalar dataspace") }
        var dims = shape.map { hsize_t($0) }
        return try check(H5Screate_simple(Int32(dims.count), &dims, nil), "make a dataspace of shape \(shape)")
    }

    private func shapeOf(_ space: hid_t, _ what: String) throws -> [Int] {
        if H5Sget_simple_extent_type(space) == H5S_NULL {
            throw HDF5Error(path: path, operation: "read '\(what)'", reason: "it has no dataspace (null)")
        }
        let rank = try check(H5Sget_simple_extent_ndims(space), "read the shape of '\(what)'")
        if rank == 0 { return [] }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try check(H5Sget_simple_extent_dims(space, &dims, nil), "read the shape of '\(what)'")
        return dims.map { Int($0) }
    }

    /// Depth-first, in creation order where the group tracks it (ours do), else by name.
    private func visit(_ group: hid_t, prefix: String, into out: inout [HDF5Dataset]) throws {
        var info = H5G_info_t()
        try check(H5Gget_info(group, &info), "list group '\(prefix)'")
        let cpl = try check(H5Gget_create_plist(group), "list group '\(prefix)'")
        var flags: UInt32 = 0
        let gotOrder = H5Pget_link_creation_order(cpl, &flags)
        _ = H5Pclose(cpl)
        let index = gotOrder >= 0 && flags & UInt32(H5P_CRT_ORDER_TRACKED) != 0
            ? H5_INDEX_CRT_ORDER : H5_INDEX_NAME
        for i in 0..<info.nlinks {
            let len = try check(H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, nil, 0,
                                                   repro_h5p_default()), "list group '\(prefix)'")
            var buf = [CChar](repeating: 0, count: Int(len) + 1)
            try check(H5Lget_name_by_idx(group, ".", index, H5_ITER_INC, i, &buf, buf.count,
                                         repro_h5p_default()), "list group '\(prefix)'")
            let name = String(cString: buf)
            let obj = try check(H5Oopen(group, name, repro_h5p_default()), "open '\(prefix + name)'")
            defer { _ = H5Oclose(obj) }
            switch H5Iget_type(obj) {
            case H5I_GROUP: try visit(obj, prefix: prefix + name + "/", into: &out)
            case H5I_DATASET:
                let space = try check(H5Dget_space(obj), "read the shape of '\(prefix + name)'")
                defer { _ = H5Sclose(space) }
                out.append(HDF5Dataset(name: prefix + name, shape: try shapeOf(space, prefix + name)))
            default: break  // named datatypes
            }
        }
    }

    private func utf8StringType() throws -> hid_t {
        let t = try check(H5Tcopy(repro_h5t_c_s1()), "make a string type")
        guard H5Tset_size(t, repro_h5t_variable()) >= 0, H5Tset_cset(t, H5T_CSET_UTF8) >= 0 else {
            _ = H5Tclose(t)
            throw HDF5Error(path: path, operation: "make a string type", reason: takeReason())
        }
        return t
    }

    private func writeAttribute(_ obj: hid_t, _ name: String, _ file: hid_t, _ memory: hid_t,
                                _ space: hid_t, _ value: UnsafeRawPointer, _ what: String) throws {
        let a = try check(H5Acreate2(obj, name, file, space, repro_h5p_default(), repro_h5p_default()), what)
        let status = H5Awrite(a, memory, value)
        if status < 0 {
            let error = HDF5Error(path: path, operation: what, reason: takeReason())
            _ = H5Aclose(a)
            throw error
        }
        try check(H5Aclose(a), what)
    }

    private func readAttribute(_ obj: hid_t, _ name: String, _ object: String) throws -> HDF5Attribute? {
        let what = "read attribute '\(name)' of '\(object)'"
        let a = try check(H5Aopen(obj, name, repro_h5p_default()), what)
        defer { _ = H5Aclose(a) }
        let space = try check(H5Aget_space(a), what)
        let points = H5Sget_simple_extent_npoints(space)
        _ = H5Sclose(space)
        guard points == 1 else { return nil }
        let type = try check(H5Aget_type(a), what)
        defer { _ = H5Tclose(type) }
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            var v: Int64 = 0
            try check(H5Aread(a, repro_h5t_native_int64(), &v), what)
            return .int(Int(v))
        case H5T_FLOAT:
            var v: Double = 0
            try check(H5Aread(a, repro_h5t_native_double(), &v), what)
            return .double(v)
        case H5T_STRING:
            if H5Tis_variable_str(type) > 0 {
                let mem = try utf8StringType()
                defer { _ = H5Tclose(mem) }
                var p: UnsafeMutablePointer<CChar>? = nil
                try check(H5Aread(a, mem, &p), what)
                defer { if let p { _ = H5free_memory(p) } }
                return .string(p.map { String(cString: $0) } ?? "")
            }
            // Fixed-length (numpy bytes from h5py): read into a zero-terminated buffer.
            let size = H5Tget_size(type)
            let mem = try check(H5Tcopy(repro_h5t_c_s1()), what)
            defer { _ = H5Tclose(mem) }
            try check(H5Tset_size(mem, size), what)
            var buf = [CChar](repeating: 0, count: size + 1)
            try check(H5Aread(a, mem, &buf), what)
            return .string(String(cString: buf))
        default:
            return nil
        }
    }
}

private func errnoText() -> String { String(cString: strerror(errno)) }

/// HDF5's serial build is not thread-safe: every call into it holds this lock.
private let hdf5Lock = NSRecursiveLock()

private func locked<T>(_ body: () throws -> T) rethrows -> T {
    hdf5Lock.lock()
    defer { hdf5Lock.unlock() }
    return try body()
}

/// The innermost message on HDF5's error stack (where the failure was detected), then clears
/// the stack. File-driver messages embed the OS's ("…, error message = 'No space left on
/// device', …"): that part alone is returned.
private func takeReason() -> String {
    var innermost = ""
    withUnsafeMutablePointer(to: &innermost) { box in
        _ = H5Ewalk2(repro_h5e_default(), H5E_WALK_UPWARD, { n, err, data in
            if n == 0, let desc = err?.pointee.desc, let data {
                data.assumingMemoryBound(to: String.self).pointee = String(cString: desc)
            }
            return 0
        }, box)
    }
    _ = H5Eclear2(repro_h5e_default())
    if let r = innermost.range(of: "error message = '"),
       let end = innermost[r.upperBound...].firstIndex(of: "'") {
        return String(innermost[r.upperBound..<end])
    }
    return innermost
}
