import NIOCore

extension EventLoopGroup {
    /// One value per loop of the group, by the loop's `ObjectIdentifier`: what a loop keeps for
    /// all the connections it serves (their sequencer wake-up, their queued answers).
    func perLoop<Value>(_ make: (any EventLoop) -> Value) -> [ObjectIdentifier: Value] {
        var values: [ObjectIdentifier: Value] = [:]
        for loop in makeIterator() { values[ObjectIdentifier(loop)] = make(loop) }
        return values
    }
}
