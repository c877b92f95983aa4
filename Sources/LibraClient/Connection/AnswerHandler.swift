import LibraProtocol
import NIOCore

/// The end of a connection's pipeline: hands decoded frames and the channel's end to the connection.
final class AnswerHandler: ChannelInboundHandler {
    typealias InboundIn = FrameEvent

    private let connection: Connection

    init(connection: Connection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data), on: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.channelClosed(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A stream this client cannot read further: drop it; the connection reconnects.
        context.close(promise: nil)
    }
}
