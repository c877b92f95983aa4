import Engine
import Foundation

/// Encoding and decoding of the JSON payloads (format 1). The same opcodes as binary frames.
public enum JSONPayloads {
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every type here encodes; a failure would be a programming error.
        return Array(try! encoder.encode(value))
    }

    public static func decodeHello(_ bytes: [UInt8]) throws(ProtocolRefusal) -> String {
        let hello: HelloJSON = try decode(bytes, what: "HELLO")
        guard hello.token.utf8.count <= ProtocolLimits.tokenBytesMax else { throw ProtocolRefusal(.malformedRequest, "The token is too long.") }
        return hello.token
    }

    public static func decodeBatch(_ bytes: [UInt8]) throws(ProtocolRefusal) -> [Request] {
        let batch: BatchJSON = try decode(bytes, what: "BATCH")
        guard !batch.commands.isEmpty else { throw ProtocolRefusal(.malformedRequest, "A batch carries at least one command.") }
        guard batch.commands.count <= ProtocolLimits.commandsPerFrameMax else {
            throw ProtocolRefusal(.tooManyCommands, "\(batch.commands.count) commands; at most \(ProtocolLimits.commandsPerFrameMax) per frame.")
        }
        return batch.commands.map(\.request)
    }

    public static func encodeResults(_ outcomes: [Outcome]) -> [UInt8] {
        encode(ResultsJSON(results: outcomes.map(OutcomeJSON.init)))
    }

    /// Decodes a JSON payload; a failure names the path and the problem.
    public static func decode<T: Decodable>(_ bytes: [UInt8], what: String) throws(ProtocolRefusal) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(bytes))
        } catch let error as Swift.DecodingError {
            throw ProtocolRefusal(.malformedRequest, "\(what): \(describe(error))")
        } catch {
            throw ProtocolRefusal(.malformedRequest, "\(what): \(error)")
        }
    }

    public static func describe(_ error: Swift.DecodingError) -> String {
        func path(_ context: Swift.DecodingError.Context) -> String {
            let text = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.isEmpty ? "" : " at \(text.hasPrefix(".") ? String(text.dropFirst()) : text)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field '\(key.stringValue)'\(path(context))"
        case .typeMismatch(let type, let context): return "expected \(type)\(path(context)): \(context.debugDescription)"
        case .valueNotFound(let type, let context): return "expected \(type)\(path(context))"
        case .dataCorrupted(let context): return "\(context.debugDescription)\(path(context))"
        @unknown default: return "\(error)"
        }
    }
}
