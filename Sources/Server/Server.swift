import Engine
import WAL

/// Network front ends over the engine and the log.
public enum Server {
    public static let version = "0.1.0"
}
