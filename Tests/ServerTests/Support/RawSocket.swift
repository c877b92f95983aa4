import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP socket to 127.0.0.1 with a receive timeout: what a test uses to speak raw
/// frames or raw HTTP, byte for byte, as a client in any language would.
final class RawSocket {
    let fd: Int32
    private var pending: [UInt8] = []

    init(port: Int, timeoutSeconds: Int = 30) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerProcessError("socket: \(errno)") }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw ServerProcessError("connect to \(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw ServerProcessError("send failed: errno \(errno)") }
            sent += count
        }
    }

    /// Exactly `count` bytes; throws on timeout or end of stream.
    func receive(_ count: Int) throws -> [UInt8] {
        while pending.count < count {
            guard let chunk = try receiveSome() else { throw ServerProcessError("connection closed after \(pending.count) of \(count) bytes") }
            pending += chunk
        }
        let out = Array(pending.prefix(count))
        pending.removeFirst(count)
        return out
    }

    /// Whatever arrives next; nil at end of stream.
    func receiveSome() throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress!, 65536, 0) }
        if count == 0 { return nil }
        guard count > 0 else { throw ServerProcessError("receive failed or timed out: errno \(errno)") }
        return Array(buffer[0..<count])
    }

    /// Everything until the peer closes.
    func receiveAll() throws -> [UInt8] {
        var all = pending
        pending = []
        while let chunk = try receiveSome() { all += chunk }
        return all
    }

    /// True once the peer has closed the connection (reads end of stream).
    func isClosedByPeer() -> Bool {
        (try? receiveSome()) == nil
    }
}

/// A minimal HTTP/1.1 client over `RawSocket` (one request per connection).
struct HTTPResult {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]

    var json: Any? { try? JSONSerialization.jsonObject(with: Data(body)) }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
    var text: String { String(decoding: body, as: UTF8.self) }
    var errorName: String? { (object["error"] as? [String: Any])?["name"] as? String }
}

func http(_ method: String, port: Int, _ path: String, token: String? = nil, body: Any? = nil, rawBody: [UInt8]? = nil, headers: [String: String] = [:]) throws -> HTTPResult {
    let socket = try RawSocket(port: port)
    var payload = rawBody ?? []
    if let body { payload = Array(try JSONSerialization.data(withJSONObject: body)) }
    var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(payload.count)\r\n"
    if !payload.isEmpty { request += "Content-Type: application/json\r\n" }
    if let token { request += "Authorization: Bearer \(token)\r\n" }
    for (name, value) in headers { request += "\(name): \(value)\r\n" }
    request += "\r\n"
    try socket.send(Array(request.utf8) + payload)
    let response = try socket.receiveAll()
    guard let split = response.firstRange(of: Array("\r\n\r\n".utf8)) else { throw ServerProcessError("no HTTP header in \(response.count) bytes") }
    let head = String(decoding: response[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    let status = Int(head[0].split(separator: " ")[1])!
    var fields: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(response[split.upperBound...])
    if fields["transfer-encoding"] == "chunked" { body = dechunk(body) }
    return HTTPResult(status: status, headers: fields, body: body)
}

private func dechunk(_ bytes: [UInt8]) -> [UInt8] {
    var out: [UInt8] = []
    var index = 0
    while index < bytes.count {
        guard let lineEnd = bytes[index...].firstRange(of: Array("\r\n".utf8)) else { break }
        let size = Int(String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self), radix: 16) ?? 0
        if size == 0 { break }
        out += bytes[lineEnd.upperBound..<lineEnd.upperBound + size]
        index = lineEnd.upperBound + size + 2
    }
    return out
}
