import Engine
import Hummingbird
import LibraProtocol
import NIOCore
import WAL

/// The event stream as Server-Sent Events (docs/http-api.md, "Event stream"): every committed
/// event in log order, each with its position as the SSE id, so that a browser's EventSource
/// (or any client sending Last-Event-ID) resumes exactly after the last event it saw.
extension HTTPAPI {
    var eventRoutes: [HTTPRoute] {
        let from = HTTPOperation.Parameter(
            name: "from", location: .query, required: false,
            description: "The LSN of the first record wanted (1: the oldest kept). Without it (and without Last-Event-ID), only events committed from now on.",
            schema: .integer(minimum: 1))
        let lastEventID = HTTPOperation.Parameter(
            name: "Last-Event-ID", location: .header, required: false,
            description: "The id (`lsn.index`) of the last event received: the stream resumes right after it. Takes precedence over `from`.",
            schema: .string(minLength: 3, maxLength: 41))
        return [
            HTTPRoute(
                method: .get, path: "/api/v1/events",
                operation: HTTPOperation(
                    id: "events", tag: .events, summary: "Follow every committed event (Server-Sent Events), resumable",
                    description: "Each SSE message is one event: `id: <lsn>.<index>`, `event: <type>`, `data: <the event as JSON>` (docs/protocol.md lists "
                        + "the types and their fields); `token` names who did it. A comment line is sent after \(Int(EventFrames.heartbeatSeconds)) s of quiet. "
                        + "An error after the stream began arrives as `event: error` with the usual error body, and the stream ends.",
                    access: .staff, parameters: [from, lastEventID],
                    success: .init(status: 200, description: "The stream, until the client leaves or the server stops.", schema: .string(), contentType: "text/event-stream"),
                    refusals: [.historyUnavailable, .positionAhead, .tooManySubscriptions])
            ) { request, _ in
                await respond { try events(request) }
            }
        ]
    }

    /// Where a stream starts: the record to subscribe from, and the last event of it already
    /// seen (to skip), from Last-Event-ID or `from`.
    static func eventsStart(_ request: Request) throws(ProtocolRefusal) -> (from: UInt64?, seen: (lsn: UInt64, index: UInt32)?) {
        var from: UInt64?
        for (name, value) in request.uri.queryParameters {
            guard name == "from" else { throw ProtocolRefusal(.malformedRequest, "Unknown query parameter '\(name)'; this route takes from.") }
            guard let lsn = UInt64(value), lsn >= 1 else { throw ProtocolRefusal(.malformedRequest, "'from' must be an LSN, 1 or more.") }
            from = lsn
        }
        guard let header = request.headers[.init("Last-Event-ID")!], !header.isEmpty else { return (from, nil) }
        let parts = header.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let lsn = UInt64(parts[0]), lsn >= 1, let index = UInt32(parts[1]) else {
            throw ProtocolRefusal(.malformedRequest, "Last-Event-ID must be an event id as the stream sent it: <lsn>.<index>.")
        }
        return (lsn, (lsn, index))
    }

    func events(_ request: Request) throws -> Response {
        let principal = try principal(request)
        let (from, seen) = try Self.eventsStart(request)
        let opened = try EventSubscriptions.open(database, from: from, principal: principal, access: gateway.access)
        // The stream ends by the log's closing (at shutdown) or a failed write (the client left).
        // The slot is freed when the body ends, or when the response is dropped unsent.
        let slot = SubscriptionSlot(subscriptions, id: try subscriptions.add {})
        let access = gateway.access
        let start = opened.nextLSN
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache", .init("X-Accel-Buffering")!: "no"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                defer { slot.release() }
                var subscription = opened
                // EventSource reconnects after `retry` ms; the comment says where the stream starts.
                try await writer.write(ByteBuffer(string: "retry: 2000\n: from LSN \(start)\n\n"))
                do {
                    try await EventPump.run(&subscription) { records in
                        guard access.isValid(principal) else { throw ProtocolRefusal(.unauthenticated, "The token was revoked or expired.") }
                        try await writer.write(Self.serverSentEvents(records, skippingThrough: seen))
                    }
                } catch {
                    // A write that failed means the client left: then this write fails too.
                    try await writer.write(Self.serverSentError(EventSubscriptions.refusal(error)))
                }
                try await writer.finish(nil)
            })
    }

    /// One SSE message per event; a comment when there are no records (the heartbeat).
    static func serverSentEvents(_ records: [LogRecord], skippingThrough seen: (lsn: UInt64, index: UInt32)?) throws -> ByteBuffer {
        guard !records.isEmpty else { return ByteBuffer(string: ": keep-alive\n\n") }
        var text = ""
        for record in records {
            let batch = try record.batchRecord()
            for event in batch.attributedEvents() {
                if let seen, record.lsn == seen.lsn, event.index <= seen.index { continue }
                let json = StreamEventJSON(lsn: record.lsn, at: batch.timestamp, event: event)
                text += "id: \(json.position)\nevent: \(event.event.typeName)\ndata: "
                text += String(decoding: JSONPayloads.encode(json), as: UTF8.self)
                text += "\n\n"
            }
        }
        return ByteBuffer(string: text)
    }

    static func serverSentError(_ refusal: ProtocolRefusal) -> ByteBuffer {
        ByteBuffer(string: "event: error\ndata: " + String(decoding: JSONPayloads.encode(ErrorEnvelope(ErrorJSON(refusal))), as: UTF8.self) + "\n\n")
    }
}
