import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

extension DatasetRegistry {
    /// Downloads `url` to `dest` through `dest.part`, so an interrupted download never
    /// leaves a file that looks complete.
    static func download(_ url: String, to dest: String, log: (String) -> Void) throws {
        log("downloading \(url)")
        // The completion handler runs on URLSession's queue; the semaphore orders its write
        // before our read.
        final class Box: @unchecked Sendable { var result: Result<URL, Error>? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.downloadTask(with: URL(string: url)!) { location, response, error in
            if let error { box.result = .failure(error) }
            else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                box.result = .failure(DataError.malformed(path: url, detail: "HTTP \(http.statusCode)"))
            } else if let location {
                let tmp = dest + ".part"
                try? FileManager.default.removeItem(atPath: tmp)
                do { try FileManager.default.moveItem(atPath: location.path, toPath: tmp); box.result = .success(URL(fileURLWithPath: tmp)) }
                catch { box.result = .failure(error) }
            }
            done.signal()
        }
        task.resume()
        done.wait()
        switch box.result {
        case .success(let tmp)?:
            try? FileManager.default.removeItem(atPath: dest)
            try FileManager.default.moveItem(atPath: tmp.path, toPath: dest)
        case .failure(let error)?:
            throw DataError.malformed(path: url, detail: "cannot download (\(error.localizedDescription)); fetch it by hand into \(URL(fileURLWithPath: dest).deletingLastPathComponent().path) and run `repro data verify`")
        case nil:
            throw DataError.malformed(path: url, detail: "download gave no file")
        }
    }
}
