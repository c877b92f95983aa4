/// The 16-byte header of every frame. All integers are little-endian.
///
///     offset size field
///     0      4    length      bytes after this field: 12 + payload bytes
///     4      1    version     ProtocolLimits.version
///     5      1    format      0 binary payload, 1 JSON payload
///     6      2    opcode      see `Opcode`
///     8      8    request id  chosen by the client, echoed in the answer
///     16     ...  payload
public struct FrameHeader: Sendable, Hashable {
    public static let bytes = 16
    /// The `length` field counts the bytes after itself: the rest of the header and the payload.
    public static let lengthFieldCovers = bytes - 4

    public var version: UInt8
    public var format: PayloadFormat
    public var opcode: Opcode
    public var requestID: UInt64

    public init(version: UInt8 = ProtocolLimits.version, format: PayloadFormat, opcode: Opcode, requestID: UInt64) {
        self.version = version
        self.format = format
        self.opcode = opcode
        self.requestID = requestID
    }
}

public enum PayloadFormat: UInt8, Sendable, Hashable {
    case binary = 0
    case json = 1
}

/// What a frame asks for or answers. An answer's opcode is its request's with the high bit set.
public struct Opcode: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Presents a token; answered by `welcome`. Must be the first frame of a connection.
    public static let hello = Opcode(rawValue: 0x0001)
    /// Carries one or more commands, executed in order; answered by `results`.
    public static let batch = Opcode(rawValue: 0x0002)
    /// Keep-alive; answered by `pong` with the durable LSN.
    public static let ping = Opcode(rawValue: 0x0003)
    /// Asks for committed events from a log position on; answered by `events` frames until the
    /// connection closes (docs/protocol.md, "Event stream").
    public static let subscribe = Opcode(rawValue: 0x0004)

    public static let welcome = Opcode(rawValue: 0x8001)
    public static let results = Opcode(rawValue: 0x8002)
    public static let pong = Opcode(rawValue: 0x8003)
    public static let events = Opcode(rawValue: 0x8004)
    /// The answer to a frame that could not be served at all (bad frame, not authenticated...).
    public static let error = Opcode(rawValue: 0xFFFF)

    public var isAnswer: Bool { rawValue & 0x8000 != 0 }

    public var description: String {
        switch self {
        case .hello: "HELLO"
        case .batch: "BATCH"
        case .ping: "PING"
        case .subscribe: "SUBSCRIBE"
        case .events: "EVENTS"
        case .welcome: "WELCOME"
        case .results: "RESULTS"
        case .pong: "PONG"
        case .error: "ERROR"
        default: "0x" + String(rawValue, radix: 16)
        }
    }
}
