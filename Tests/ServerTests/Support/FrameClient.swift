import Engine
import Foundation
import LibraProtocol
import NIOCore

/// Raw frames over a blocking socket: the protocol exactly as docs/protocol.md gives it, with
/// no SDK in between.
final class FrameClient {
    let socket: RawSocket
    private var nextID: UInt64 = 1

    init(port: Int, timeoutSeconds: Int = 30) throws {
        socket = try RawSocket(port: port, timeoutSeconds: timeoutSeconds)
    }

    struct Answer {
        var header: FrameHeader
        var payload: [UInt8]

        var refusal: ProtocolRefusal? { header.opcode == .error && header.format == .binary ? try? BinaryPayloads.decodeError(payload) : nil }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(payload))) as? [String: Any] ?? [:] }
        var jsonErrorName: String? { (json["error"] as? [String: Any])?["name"] as? String }
    }

    static func frameBytes(_ header: FrameHeader, _ payload: [UInt8]) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeFrame(header) { $0.writeBytes(payload) }
        return Array(buffer.readableBytesView)
    }

    @discardableResult
    func send(_ opcode: Opcode, _ payload: [UInt8], format: PayloadFormat = .binary, requestID: UInt64? = nil) throws -> UInt64 {
        let id = requestID ?? nextID
        nextID = max(nextID, id) + 1
        try socket.send(Self.frameBytes(FrameHeader(format: format, opcode: opcode, requestID: id), payload))
        return id
    }

    func receive() throws -> Answer {
        let head = try socket.receive(FrameHeader.bytes)
        let length = Int(UInt32(head[0]) | UInt32(head[1]) << 8 | UInt32(head[2]) << 16 | UInt32(head[3]) << 24)
        var id: UInt64 = 0
        for index in 0..<8 { id |= UInt64(head[8 + index]) << (8 * UInt64(index)) }
        let header = FrameHeader(
            version: head[4], format: PayloadFormat(rawValue: head[5])!, opcode: Opcode(rawValue: UInt16(head[6]) | UInt16(head[7]) << 8), requestID: id)
        return Answer(header: header, payload: try socket.receive(length - FrameHeader.lengthFieldCovers))
    }

    func hello(_ token: String = ServerProcess.adminToken) throws -> Answer {
        try send(.hello, BinaryPayloads.encodeHello(token: token))
        return try receive()
    }

    /// One binary batch, answered: the outcomes, or the frame-level refusal.
    func batch(_ requests: [Request]) throws -> Result<[Outcome], ProtocolRefusal> {
        let id = try send(.batch, BinaryPayloads.encodeBatch(requests))
        let answer = try receive()
        guard answer.header.requestID == id else { throw ServerProcessError("answer for \(answer.header.requestID), expected \(id)") }
        if answer.header.opcode == .error { return .failure(answer.refusal!) }
        return .success(try BinaryPayloads.decodeResults(answer.payload))
    }

    func outcomes(_ requests: [Request]) throws -> [Outcome] {
        switch try batch(requests) {
        case .success(let outcomes): return outcomes
        case .failure(let refusal): throw ServerProcessError("frame refused: \(refusal)")
        }
    }
}

/// Sample records for end-to-end tests.
enum Samples {
    static let isbns = ["978-0-306-40615-7", "0-306-40615-2", "978-3-16-148410-0", "0-19-853453-1"]

    static func item(_ index: Int, copies: Int32 = 2) -> Request {
        Request(.createItem(ItemDraft(isbn: isbns[index % isbns.count], title: "Title \(index)", author: "Author \(index)", publisher: "Press", year: 2001, type: .book, copies: copies)))
    }

    static func member(_ index: Int, tier: String = "standard") -> Request {
        Request(.registerMember(MemberDraft(email: "m\(index)-\(UInt32.random(in: 0...UInt32.max))@example.org", name: "Member \(index)", tier: tier, cardExpiryDay: CivilDate(year: 2099, month: 1, day: 1).daysSinceEpoch)))
    }
}

extension Outcome {
    var item: Item? { if case .ok(.item(let item)) = self { item } else { nil } }
    var member: Member? {
        switch self {
        case .ok(.member(let member)), .ok(.memberWithLoans(let member, _)): member
        default: nil
        }
    }
    var loan: Loan? { if case .ok(.loan(let loan)) = self { loan } else { nil } }
}
