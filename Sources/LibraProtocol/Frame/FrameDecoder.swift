import NIOCore

/// Splits a byte stream into frames. A frame whose header is sound but whose length exceeds the
/// limit is skipped (its bytes are read and dropped) and reported, so the stream stays in step;
/// a header that cannot be trusted (wrong version, impossible length) ends the stream.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = FrameEvent

    private let frameBytesMax: Int
    /// Bytes still to drop of an oversized frame.
    private var skipping = 0
    private var skippedHeader: FrameHeader?

    public init(frameBytesMax: Int = ProtocolLimits.frameBytesMax) {
        self.frameBytesMax = frameBytesMax
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if skipping > 0 {
            let drop = min(skipping, buffer.readableBytes)
            buffer.moveReaderIndex(forwardBy: drop)
            skipping -= drop
            guard skipping == 0 else { return .needMoreData }
            context.fireChannelRead(Self.wrapInboundOut(.oversized(skippedHeader!)))
            skippedHeader = nil
            return .continue
        }
        switch try Frame.split(&buffer, frameBytesMax: frameBytesMax) {
        case .incomplete:
            return .needMoreData
        case .oversized(let header, let length):
            // Dropped as it arrives, without holding it, then answered by its header.
            buffer.moveReaderIndex(forwardBy: FrameHeader.bytes)
            skipping = length - FrameHeader.lengthFieldCovers
            skippedHeader = header
            return .continue
        case .frame(let frame):
            context.fireChannelRead(Self.wrapInboundOut(.frame(frame)))
            return .continue
        }
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

extension FrameHeader {
    /// The header at the start of `buffer`'s readable bytes and its `length` field (the bytes
    /// after that field), without consuming anything; nil while fewer than 16 bytes are there.
    /// Throws for a header that cannot be trusted: a wrong version or an impossible length.
    public static func peek(_ buffer: ByteBuffer) throws(FrameError) -> (header: FrameHeader, length: Int)? {
        guard buffer.readableBytes >= bytes else { return nil }
        let start = buffer.readerIndex
        let length = Int(buffer.getInteger(at: start, endianness: .little, as: UInt32.self)!)
        let version = buffer.getInteger(at: start + 4, as: UInt8.self)!
        let formatByte = buffer.getInteger(at: start + 5, as: UInt8.self)!
        let opcode = Opcode(rawValue: buffer.getInteger(at: start + 6, endianness: .little, as: UInt16.self)!)
        let requestID = buffer.getInteger(at: start + 8, endianness: .little, as: UInt64.self)!
        guard version == ProtocolLimits.version else { throw .unsupportedVersion(version, requestID: requestID) }
        guard length >= lengthFieldCovers, let format = PayloadFormat(rawValue: formatByte) else { throw .malformedHeader(requestID: requestID) }
        return (FrameHeader(version: version, format: format, opcode: opcode, requestID: requestID), length)
    }
}

/// What the decoder passes on: a frame, or the header of one that was too large and was dropped.
public enum FrameEvent: Sendable {
    case frame(Frame)
    case oversized(FrameHeader)
}

/// A stream that cannot be read further: the connection answers with an error frame and closes.
public enum FrameError: Error, Sendable, Hashable {
    case unsupportedVersion(UInt8, requestID: UInt64)
    case malformedHeader(requestID: UInt64)
}
