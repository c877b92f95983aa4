import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The server's resident memory, read the simplest robust way: from the server itself, through
/// the `libra_resident_memory_bytes` gauge of `GET /metrics` (open, no token; works for any
/// user and through containers), or, given a process id, from /proc/<pid>/status (VmRSS).
enum ServerMemory {
    static func residentBytes(host: String, httpPort: Int?, pid: Int?) -> Int? {
        if let pid, let bytes = fromProc(pid: pid) { return bytes }
        if let httpPort, let bytes = fromMetrics(host: host, port: httpPort) { return bytes }
        return nil
    }

    static func fromProc(pid: Int) -> Int? {
        guard let text = readFile("/proc/\(pid)/status") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return nil
    }

    static func fromMetrics(host: String, port: Int) -> Int? {
        guard let body = httpGet(host: host, port: port, path: "/metrics") else { return nil }
        for line in body.split(separator: "\n") where line.hasPrefix("libra_resident_memory_bytes ") {
            if let value = Double(line.split(separator: " ").last ?? "") { return Int(value) }
        }
        return nil
    }

    private static func readFile(_ path: String) -> String? {
        let file = open(path, O_RDONLY)
        guard file >= 0 else { return nil }
        defer { close(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// A plain HTTP GET (one request, then the server closes) with a 5-second timeout; the body, or nil.
    static func httpGet(host: String, port: Int, path: String) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else { return nil }
        defer { freeaddrinfo(first) }
        let socket = Glibc.socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(socket, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else { return nil }
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n"
        let sentAll = request.withUTF8 { bytes in send(socket, bytes.baseAddress, bytes.count, 0) == bytes.count }
        guard sentAll else { return nil }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            response += chunk[0..<count]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1."), text.split(separator: " ", maxSplits: 2).dropFirst().first == "200", let split = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[split.upperBound...])
    }
}
