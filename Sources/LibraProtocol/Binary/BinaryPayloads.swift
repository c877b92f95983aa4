import Engine

/// The binary payloads, one per opcode. Integers are little-endian, strings are a u32 byte count
/// and UTF-8, optionals a presence byte (0/1) and the value; commands and outcomes use the
/// engine's canonical layout (docs/protocol.md lists every byte).
public enum BinaryPayloads {
    // MARK: HELLO / WELCOME

    public static func encodeHello(token: String) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(token)
        return writer.bytes
    }

    public static func decodeHello(_ bytes: [UInt8]) throws(ProtocolRefusal) -> String {
        var reader = ByteReader(bytes)
        do {
            let token = try reader.readString(maxBytes: ProtocolLimits.tokenBytesMax)
            guard reader.isAtEnd else { throw ProtocolRefusal(.malformedRequest, "trailing bytes after the token") }
            return token
        } catch let error as DecodingError {
            throw ProtocolRefusal(.malformedRequest, "HELLO payload: \(error)")
        } catch {
            throw error as! ProtocolRefusal
        }
    }

    public static func encodeWelcome(_ welcome: Welcome) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(welcome.role.rawValue)
        writer.write(optional: welcome.member?.rawValue)
        writer.write(UInt32(welcome.frameBytesMax))
        writer.write(UInt32(welcome.commandsPerFrameMax))
        writer.write(welcome.serverVersion)
        return writer.bytes
    }

    public static func decodeWelcome(_ bytes: [UInt8]) throws(DecodingError) -> Welcome {
        var reader = ByteReader(bytes)
        let role = try reader.readEnum(Role.self)
        let member = try reader.readOptional(UInt64.self).map(MemberID.init(rawValue:))
        let frameBytesMax = Int(try reader.read(UInt32.self))
        let commandsPerFrameMax = Int(try reader.read(UInt32.self))
        let version = try reader.readString(maxBytes: 64)
        return Welcome(role: role, member: member, serverVersion: version, frameBytesMax: frameBytesMax, commandsPerFrameMax: commandsPerFrameMax)
    }

    // MARK: BATCH / RESULTS

    public static func encodeBatch(_ requests: [Request]) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(UInt32(requests.count))
        for request in requests { request.encode(to: &writer) }
        return writer.bytes
    }

    public static func decodeBatch(_ bytes: [UInt8]) throws(ProtocolRefusal) -> [Request] {
        var reader = ByteReader(bytes)
        do {
            let count = Int(try reader.read(UInt32.self))
            guard count >= 1 else { throw ProtocolRefusal(.malformedRequest, "a batch carries at least one command") }
            guard count <= ProtocolLimits.commandsPerFrameMax else {
                throw ProtocolRefusal(.tooManyCommands, "\(count) commands; at most \(ProtocolLimits.commandsPerFrameMax) per frame")
            }
            var requests: [Request] = []
            requests.reserveCapacity(count)
            for index in 0..<count {
                do {
                    requests.append(try Request(from: &reader))
                } catch {
                    throw ProtocolRefusal(.malformedRequest, "command \(index): \(error)")
                }
            }
            guard reader.isAtEnd else { throw ProtocolRefusal(.malformedRequest, "\(reader.remaining) bytes after the last command") }
            return requests
        } catch let error as DecodingError {
            throw ProtocolRefusal(.malformedRequest, "BATCH payload: \(error)")
        } catch {
            throw error as! ProtocolRefusal
        }
    }

    public static func encodeResults(_ outcomes: [Outcome], into writer: inout ByteWriter) {
        writer.write(UInt32(outcomes.count))
        for outcome in outcomes { outcome.encode(to: &writer) }
    }

    public static func decodeResults(_ bytes: [UInt8]) throws(DecodingError) -> [Outcome] {
        var reader = ByteReader(bytes)
        let count = try reader.readCount(minimumBytes: 2)
        var outcomes: [Outcome] = []
        outcomes.reserveCapacity(count)
        for _ in 0..<count { outcomes.append(try Outcome(from: &reader)) }
        guard reader.isAtEnd else { throw DecodingError.invalid("trailing bytes", offset: reader.offset) }
        return outcomes
    }

    // MARK: PONG / ERROR

    public static func encodePong(durableLSN: UInt64) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(durableLSN)
        return writer.bytes
    }

    public static func decodePong(_ bytes: [UInt8]) throws(DecodingError) -> UInt64 {
        var reader = ByteReader(bytes)
        return try reader.read(UInt64.self)
    }

    public static func encodeError(_ refusal: ProtocolRefusal) -> [UInt8] {
        var writer = ByteWriter()
        writer.write(refusal.code.rawValue)
        writer.write(refusal.field?.rawValue ?? 0)
        writer.write(refusal.message)
        return writer.bytes
    }

    public static func decodeError(_ bytes: [UInt8]) throws(DecodingError) -> ProtocolRefusal {
        var reader = ByteReader(bytes)
        let code = try reader.readEnum(ErrorCode.self)
        let fieldRaw = try reader.read(UInt8.self)
        let message = try reader.readString(maxBytes: 4096)
        return ProtocolRefusal(code: code, message: message, field: fieldRaw == 0 ? nil : Field(rawValue: fieldRaw))
    }
}

/// The server's answer to HELLO: who the token is and the limits to respect.
public struct Welcome: Sendable, Hashable, Codable {
    public var role: Role
    public var member: MemberID?
    public var serverVersion: String
    public var frameBytesMax: Int
    public var commandsPerFrameMax: Int

    public init(role: Role, member: MemberID?, serverVersion: String, frameBytesMax: Int, commandsPerFrameMax: Int) {
        self.role = role
        self.member = member
        self.serverVersion = serverVersion
        self.frameBytesMax = frameBytesMax
        self.commandsPerFrameMax = commandsPerFrameMax
    }

    enum CodingKeys: String, CodingKey {
        case role, member
        case serverVersion = "server_version"
        case frameBytesMax = "frame_bytes_max"
        case commandsPerFrameMax = "commands_per_frame_max"
    }
}

extension MemberID: Codable {
    public init(from decoder: any Decoder) throws { self.init(rawValue: try decoder.singleValueContainer().decode(UInt64.self)) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A frame-level refusal: the whole frame was not served. Same code table as command refusals.
public struct ProtocolRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var field: Field?

    public init(_ code: ErrorCode, _ detail: String? = nil, field: Field? = nil) {
        self.code = code
        self.message = detail.map { "\(code.message) \($0)" } ?? code.message
        self.field = field
    }

    public init(code: ErrorCode, message: String, field: Field?) {
        self.code = code
        self.message = message
        self.field = field
    }

    public var description: String { "\(code.name): \(message)" }
}
