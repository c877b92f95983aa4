import NIOCore

/// One frame as it travels through a channel pipeline: the header and the payload bytes.
public struct Frame: Sendable {
    public var header: FrameHeader
    public var payload: ByteBuffer

    public init(header: FrameHeader, payload: ByteBuffer) {
        self.header = header
        self.payload = payload
    }
}

extension ByteBuffer {
    /// Writes a whole frame: header, then the payload the closure writes; the length field is
    /// filled in afterwards.
    public mutating func writeFrame(_ header: FrameHeader, payload: (inout ByteBuffer) -> Void) {
        let start = writerIndex
        writeInteger(UInt32(0), endianness: .little)
        writeInteger(header.version)
        writeInteger(header.format.rawValue)
        writeInteger(header.opcode.rawValue, endianness: .little)
        writeInteger(header.requestID, endianness: .little)
        payload(&self)
        let length = UInt32(writerIndex - start - 4)
        setInteger(length, at: start, endianness: .little)
    }

    /// Writes a binary HELLO frame presenting `token`, a connection's first frame.
    public mutating func writeHelloFrame(requestID: UInt64, token: String) {
        writeFrame(FrameHeader(format: .binary, opcode: .hello, requestID: requestID)) { $0.writeBytes(BinaryPayloads.encodeHello(token: token)) }
    }

    /// Writes a binary BATCH frame from commands already encoded (`Request.encode(to:)`): the
    /// command count (u32), then the commands, as `BinaryPayloads.encodeBatch` lays them out,
    /// without a `[Request]` to build first.
    public mutating func writeBatchFrame(requestID: UInt64, commandCount: Int, commands: (inout ByteBuffer) -> Void) {
        writeFrame(FrameHeader(format: .binary, opcode: .batch, requestID: requestID)) { payload in
            payload.writeInteger(UInt32(commandCount), endianness: .little)
            commands(&payload)
        }
    }
}
