import Engine
import Hummingbird
import LibraProtocol
import NIOConcurrencyHelpers
import NIOCore
import WAL

extension HTTPAPI {
    func operationRoutes(openAPI: [UInt8]) -> [HTTPRoute] {
        [
            HTTPRoute(
                method: .get, path: "/health",
                operation: HTTPOperation(
                    id: "health", tag: .operations, summary: "Liveness: answers 200 while the process serves HTTP",
                    description: "Also reports readiness, the log's I/O path (io_uring or posix) and the durable LSN.", access: .open,
                    success: .json(200, "The server is alive.", "Health"))
            ) { request, _ in await respond { try health(request, readiness: false) } },
            HTTPRoute(
                method: .get, path: "/health/ready",
                operation: HTTPOperation(
                    id: "ready", tag: .operations, summary: "Readiness: 200 while the server takes commands, 503 once it is shutting down",
                    access: .open, success: .json(200, "The server takes commands.", "Health"),
                    alternatives: [.json(503, "The server is shutting down: `ready` is false; a Retry-After header is set.", "Health")])
            ) { request, _ in await respond { try health(request, readiness: true) } },
            HTTPRoute(
                method: .get, path: "/metrics",
                operation: HTTPOperation(
                    id: "metrics", tag: .operations, summary: "Prometheus metrics (text exposition format 0.0.4)",
                    description: "Commands by type and outcome, request latency, batch and group-commit sizes, log write (fdatasync) latency, "
                        + "log bytes, snapshots, durable LSN, connections, HTTP answers by status. docs/operations.md lists every family.",
                    access: .open,
                    success: .init(status: 200, description: "The metrics.", schema: .string(), contentType: "text/plain; version=0.0.4"))
            ) { request, _ in
                await respond {
                    try requireNoQuery(request)
                    let bytes = await gateway.metrics.exposition(database: database, subscriptions: subscriptions)
                    return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
                }
            },
            HTTPRoute(
                method: .get, path: OpenAPIDocument.path,
                operation: HTTPOperation(
                    id: "openAPI", tag: .operations, summary: "This API's OpenAPI 3.1 description", access: .open,
                    success: .init(status: 200, description: "The OpenAPI document.", schema: Schema(type: "object", description: "An OpenAPI 3.1 document.", closed: false)))
            ) { request, _ in
                await respond {
                    try requireNoQuery(request)
                    return json(.ok, openAPI)
                }
            },
        ]
    }

    /// /health answers 200 while the process serves HTTP; /health/ready answers 503 once the
    /// server has begun to shut down.
    func health(_ request: Request, readiness: Bool) throws(ProtocolRefusal) -> Response {
        try requireNoQuery(request)
        let ready = self.readiness.isReady
        let body: JSONValue = .object([
            ("status", ready ? "ok" : "unavailable"), ("live", true), ("ready", .bool(ready)),
            ("io", database.ioPath == .uring ? "io_uring" : "posix"), ("fsync", .string(database.configuration.fsync.rawValue)),
            ("durable_lsn", .integer(Int64(database.durableLSN))), ("version", .string(LibraServer.version)),
        ])
        return json(readiness && !ready ? .serviceUnavailable : .ok, body.bytes, headers: readiness && !ready ? [.retryAfter: "1"] : [:])
    }
}

/// Whether the server takes commands: true from start until graceful shutdown begins.
final class Readiness: Sendable {
    private let ready = NIOLockedValueBox(true)

    var isReady: Bool { ready.withLockedValue { $0 } }

    func shuttingDown() { ready.withLockedValue { $0 = false } }
}
