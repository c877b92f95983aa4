import NIOCore

/// One frame as it travels through a channel pipeline: the header and the payload bytes.
public struct Frame: Sendable {
    public var header: FrameHeader
    public var payload: ByteBuffer

    public init(header: FrameHeader, payload: ByteBuffer) {
        self.header = header
        self.payload = payload
    }

    /// What lies at a buffer's reader index: a whole frame, the header of a frame over the size
    /// limit, or not enough bytes yet.
    public enum Split {
        /// A whole frame, now read from the buffer.
        case frame(Frame)
        /// A frame of `length` bytes after its length field, more than the limit allows; nothing
        /// is read, the caller drops it or the connection.
        case oversized(FrameHeader, length: Int)
        case incomplete
    }

    /// Takes the next frame from `buffer`, the one place that splits a byte stream into frames
    /// (the server's decoder and the load generator's sockets). Throws where the header is
    /// malformed.
    public static func split(_ buffer: inout ByteBuffer, frameBytesMax: Int = ProtocolLimits.frameBytesMax) throws(FrameError) -> Split {
        guard let (header, length) = try FrameHeader.peek(buffer) else { return .incomplete }
        if length + 4 > frameBytesMax { return .oversized(header, length: length) }
        guard buffer.readableBytes >= length + 4 else { return .incomplete }
        buffer.moveReaderIndex(forwardBy: FrameHeader.bytes)
        return .frame(Frame(header: header, payload: buffer.readSlice(length: length - FrameHeader.lengthFieldCovers)!))
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
