import Engine
import Hummingbird
import LibraProtocol

/// Wraps every route and the router's own not-found answer: whatever is thrown becomes the
/// JSON error envelope, an unknown path is 404 NOT_FOUND, a known path with another method is
/// 405 (with Allow), and every answer is counted by status in the metrics.
struct HTTPErrorMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    let api: HTTPAPI
    let routes: [HTTPRoute]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = notFound(request)
        } catch let error as any HTTPResponseError {
            let code: ErrorCode = error.status == .contentTooLarge ? .frameTooLarge : error.status.code < 500 ? .malformedRequest : .internalError
            response = api.error(ProtocolRefusal(code))
        } catch {
            response = api.error(ProtocolRefusal(.internalError, "\(error)"))
        }
        api.gateway.metrics.recordHTTP(status: response.status.code)
        return response
    }

    func notFound(_ request: Request) -> Response {
        let path = request.uri.path
        let allowed = Set(routes.filter { $0.matches(path) }.map(\.method.rawValue)).sorted()
        guard !allowed.isEmpty else {
            return api.error(ProtocolRefusal(.notFound, "No route is \(path); GET /openapi.json lists every route."))
        }
        let refusal = ProtocolRefusal(
            code: .notFound, message: "\(request.method.rawValue) is not allowed on \(path); it takes \(allowed.joined(separator: ", ")).", field: nil)
        return api.error(ErrorJSON(refusal), status: 405, headers: [.allow: allowed.joined(separator: ", ")])
    }
}
