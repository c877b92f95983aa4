import Engine

/// The engine's `Request`, named apart from Hummingbird's `Request` in the files that import both.
typealias EngineRequest = Request
