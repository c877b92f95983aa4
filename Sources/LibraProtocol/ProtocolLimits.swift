/// Every bound of the wire protocol, in one place. The server checks each at the boundary and
/// answers a violation with an error frame; the SDK uses the same values to cut batches.
public enum ProtocolLimits {
    /// The protocol version this build speaks (byte 4 of every frame).
    public static let version: UInt8 = 1
    /// The largest frame, header included.
    public static let frameBytesMax = 4 << 20
    /// The most commands one batch frame may carry.
    public static let commandsPerFrameMax = 4096
    /// The longest token a client may present.
    public static let tokenBytesMax = 256
    /// The longest password a member may set or present.
    public static let passwordBytesMax = 256
    /// Frames a connection may have in flight before the server stops reading from it.
    public static let framesInFlightPerConnectionMax = 256
    /// Connections open at once, by default (`--connections-max`).
    public static let connectionsMaxDefault = 1024
    /// Seconds a connection may stay silent before it is closed, by default (`--idle-timeout`).
    public static let idleTimeoutSecondsDefault = 300
}
