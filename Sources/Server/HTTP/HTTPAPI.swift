import Engine
import Hummingbird
import LibraProtocol
import Logging
import NIOCore
import ServiceLifecycle
import WAL

/// The REST/JSON API under /api/v1, plus /health, /metrics and /openapi.json. Every command goes
/// through the same gateway as the binary protocol: same roles, rate limits, error codes, and
/// the answer leaves only once the log is durable. docs/http-api.md describes every route.
struct HTTPAPI: Sendable {
    let gateway: Gateway
    let database: Database
    let readiness: Readiness
    let subscriptions: EventSubscriptions
    /// The largest request body accepted.
    static let bodyBytesMax = 1 << 20
    /// Records per page when a list request names no `limit`.
    static let pageSizeDefault: Int32 = 100

    static func makeService(
        host: String, port: Int, gateway: Gateway, database: Database, subscriptions: EventSubscriptions, logger: Logger,
        onBound: @escaping @Sendable (Int) -> Void
    ) -> some Service {
        let api = HTTPAPI(gateway: gateway, database: database, readiness: Readiness(), subscriptions: subscriptions)
        let application = Application(
            router: api.makeRouter(), configuration: .init(address: .hostname(host, port: port), serverName: "libra/\(LibraServer.version)"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                logger.info("http: listening on \(host):\(bound)")
                onBound(bound)
            }, logger: logger)
        return HTTPService(application: application, readiness: api.readiness, subscriptions: subscriptions)
    }

    /// Every route, in the order /openapi.json lists them. `openAPI` is the document that
    /// GET /openapi.json serves: rendered first from the same list.
    func routes(openAPI: [UInt8]) -> [HTTPRoute] {
        catalogRoutes + memberRoutes + circulationRoutes + analyticsRoutes + eventRoutes + accessRoutes + operationRoutes(openAPI: openAPI)
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let document = OpenAPIDocument.render(routes(openAPI: []))
        let routes = routes(openAPI: document)
        let router = Router()
        // First, so that it also wraps the router's answer for unknown paths.
        router.add(middleware: HTTPErrorMiddleware(api: self, routes: routes))
        for route in routes { router.on(RouterPath(route.path), method: route.method, use: route.handler) }
        let registered = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = Set(OpenAPIDocument.operations(document))
        precondition(registered == documented, "the router and /openapi.json disagree: \(registered.symmetricDifference(documented).sorted())")
        return router
    }
}

/// The Hummingbird application, marking the server not ready as soon as graceful shutdown begins
/// (the HTTP service is the first to stop), so that /health/ready turns 503 while in-flight
/// requests are still answered; event streams end then too, else they would hold it open.
struct HTTPService<Wrapped: Service>: Service {
    let application: Wrapped
    let readiness: Readiness
    let subscriptions: EventSubscriptions

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await application.run()
        } onGracefulShutdown: {
            readiness.shuttingDown()
            subscriptions.closeAll()
        }
    }
}
