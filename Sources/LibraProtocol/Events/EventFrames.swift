import Engine
import NIOCore

/// The event stream over the protocol port: a SUBSCRIBE frame asks for committed records from
/// a log position on; EVENTS frames carry them, in LSN order, each with the request id of the
/// SUBSCRIBE, until the connection closes. docs/protocol.md, "Event stream".
public enum EventFrames {
    /// Payload bytes of records one EVENTS frame gathers (a single larger record goes alone).
    public static let recordBytesPerFrame = 1 << 20
    /// An EVENTS frame with no records is sent when nothing was committed for this long, so
    /// that both ends (and anything between) see the connection alive.
    public static let heartbeatSeconds: Double = 15
    /// The largest EVENTS frame: one log record of the largest size, and its framing.
    public static let frameBytesMax = 64 << 20 + 64

    /// SUBSCRIBE: from u64, the LSN of the first record wanted; 0 for the next record written.
    public static func encodeSubscribe(from lsn: UInt64?) -> [UInt8] {
        var writer = ByteWriter(capacity: 8)
        writer.write(lsn ?? 0)
        return writer.bytes
    }

    public static func decodeSubscribe(_ bytes: [UInt8]) throws(ProtocolRefusal) -> UInt64? {
        var reader = ByteReader(bytes)
        guard let lsn = try? reader.read(UInt64.self), reader.isAtEnd else { throw ProtocolRefusal(.malformedRequest, "SUBSCRIBE carries one u64: the LSN to start at (0: the live end).") }
        return lsn == 0 ? nil : lsn
    }

    /// EVENTS: next u64 (the LSN to subscribe from to continue after this frame), count u32,
    /// then per record: LSN u64, payload length u32, the batch record (docs/log-format.md).
    public static func encodeEvents(next: UInt64, records: [(lsn: UInt64, payload: [UInt8])], into buffer: inout ByteBuffer) {
        buffer.writeInteger(next, endianness: .little)
        buffer.writeInteger(UInt32(records.count), endianness: .little)
        for record in records {
            buffer.writeInteger(record.lsn, endianness: .little)
            buffer.writeInteger(UInt32(record.payload.count), endianness: .little)
            buffer.writeBytes(record.payload)
        }
    }

    /// Bytes `encodeEvents` writes for these records.
    public static func eventsBytes(records: [(lsn: UInt64, payload: [UInt8])]) -> Int { records.reduce(12) { $0 + 12 + $1.payload.count } }

    /// An EVENTS frame's records, decoded, with its `next`.
    public static func decodeEvents(_ bytes: [UInt8]) throws(DecodingError) -> (next: UInt64, records: [(lsn: UInt64, record: BatchRecord)]) {
        var reader = ByteReader(bytes)
        let next = try reader.read(UInt64.self)
        let count = try reader.readCount(minimumBytes: 12)
        var records: [(UInt64, BatchRecord)] = []
        records.reserveCapacity(count)
        for _ in 0..<count {
            let lsn = try reader.read(UInt64.self)
            let length = Int(try reader.read(UInt32.self))
            guard length <= reader.remaining else { throw DecodingError.truncated(offset: reader.offset) }
            let end = reader.offset + length
            var inner = ByteReader(bytes, offset: reader.offset, end: end)
            let record = try BatchRecord(from: &inner)
            guard inner.isAtEnd else { throw DecodingError.invalid("record of \(length) bytes has trailing bytes", offset: inner.offset) }
            try reader.skip(length)
            records.append((lsn, record))
        }
        guard reader.isAtEnd else { throw DecodingError.invalid("trailing bytes", offset: reader.offset) }
        return (next, records)
    }

    /// The JSON payload of an EVENTS frame: every event of the records, attributed.
    public static func encodeEventsJSON(next: UInt64, records: [(lsn: UInt64, record: BatchRecord)]) -> [UInt8] {
        JSONPayloads.encode(EventsJSON(next: next, events: records.flatMap { lsn, record in
            record.attributedEvents().map { StreamEventJSON(lsn: lsn, at: record.timestamp, event: $0) }
        }))
    }
}
