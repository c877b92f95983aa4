import Engine
import LibraProtocol
import NIOCore
import NIOEmbedded
import Testing

@Suite struct FrameTests {
    func frame(_ header: FrameHeader, _ payload: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeFrame(header) { $0.writeBytes(payload) }
        return buffer
    }

    @Test func headerLayoutIsSixteenLittleEndianBytes() {
        let buffer = frame(FrameHeader(format: .binary, opcode: .batch, requestID: 0x0102_0304_0506_0708), [0xAA, 0xBB])
        #expect(Array(buffer.readableBytesView) == [14, 0, 0, 0, 1, 0, 2, 0, 8, 7, 6, 5, 4, 3, 2, 1, 0xAA, 0xBB])
    }

    @Test func decoderSplitsFramesAcrossArbitraryChunks() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        var stream = ByteBuffer()
        for id in 1...5 { stream.writeImmutableBuffer(frame(FrameHeader(format: .json, opcode: .ping, requestID: UInt64(id)), Array(repeating: UInt8(id), count: id * 3))) }
        // Feed one byte at a time: every frame must come out whole, in order.
        while let byte = stream.readSlice(length: 1) { try channel.writeInbound(byte) }
        for id in 1...5 {
            guard case .frame(let decoded) = try channel.readInbound(as: FrameEvent.self) else { Issue.record("no frame \(id)"); return }
            #expect(decoded.header.requestID == UInt64(id))
            #expect(decoded.header.format == .json)
            #expect(Array(decoded.payload.readableBytesView) == Array(repeating: UInt8(id), count: id * 3))
        }
        #expect(try channel.readInbound(as: FrameEvent.self) == nil)
    }

    /// `Frame.split`, which the decoder and the load generator share: whole frames only, and an
    /// oversized one reported without a byte consumed.
    @Test func splitTakesWholeFramesAndLeavesTheRest() throws {
        var stream = frame(FrameHeader(format: .binary, opcode: .ping, requestID: 1), [1, 2, 3])
        stream.writeImmutableBuffer(frame(FrameHeader(format: .binary, opcode: .batch, requestID: 2), Array(repeating: 9, count: 100)))
        let partial = frame(FrameHeader(format: .json, opcode: .ping, requestID: 3), [4, 5])
        stream.writeImmutableBuffer(partial.getSlice(at: 0, length: partial.readableBytes - 1)!)
        guard case .frame(let first) = try Frame.split(&stream, frameBytesMax: 64) else { Issue.record("no first frame"); return }
        #expect(first.header.requestID == 1 && Array(first.payload.readableBytesView) == [1, 2, 3])
        let before = stream.readerIndex
        guard case .oversized(let header, let length) = try Frame.split(&stream, frameBytesMax: 64) else { Issue.record("not oversized"); return }
        #expect(header.requestID == 2 && length == FrameHeader.lengthFieldCovers + 100)
        #expect(stream.readerIndex == before)
        guard case .frame(let second) = try Frame.split(&stream, frameBytesMax: 1024) else { Issue.record("no second frame"); return }
        #expect(second.header.opcode == .batch && second.payload.readableBytes == 100)
        guard case .incomplete = try Frame.split(&stream, frameBytesMax: 1024) else { Issue.record("a partial frame taken"); return }
        #expect(stream.readableBytes == partial.readableBytes - 1)
    }

    @Test func oversizedFrameIsSkippedAndTheStreamStaysInStep() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder(frameBytesMax: 64)))
        var stream = frame(FrameHeader(format: .binary, opcode: .batch, requestID: 7), Array(repeating: 1, count: 200))
        stream.writeImmutableBuffer(frame(FrameHeader(format: .binary, opcode: .ping, requestID: 8), []))
        try channel.writeInbound(stream)
        guard case .oversized(let header) = try channel.readInbound(as: FrameEvent.self) else { Issue.record("expected oversized"); return }
        #expect(header.requestID == 7)
        guard case .frame(let next) = try channel.readInbound(as: FrameEvent.self) else { Issue.record("expected the next frame"); return }
        #expect(next.header.requestID == 8 && next.header.opcode == .ping)
    }

    @Test func wrongVersionEndsTheStream() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        var bad = frame(FrameHeader(format: .binary, opcode: .ping, requestID: 9), [])
        bad.setInteger(UInt8(9), at: 4)
        #expect(throws: FrameError.unsupportedVersion(9, requestID: 9)) { try channel.writeInbound(bad) }
    }

    @Test func impossibleLengthEndsTheStream() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(FrameDecoder()))
        var bad = frame(FrameHeader(format: .binary, opcode: .ping, requestID: 3), [])
        bad.setInteger(UInt32(5), at: 0, endianness: .little)
        #expect(throws: FrameError.malformedHeader(requestID: 3)) { try channel.writeInbound(bad) }
    }
}

@Suite struct PayloadTests {
    let requests = [
        Request(.checkout(member: 7, item: 42), idempotencyKey: "desk-3/000172"),
        Request(.getItem(42)),
        Request(.createItem(ItemDraft(isbn: "978-0-306-40615-7", title: "Signals", author: "A. Author", publisher: "Plenum", year: 1984, type: .book, copies: 3))),
    ]

    @Test func binaryBatchRoundTrips() throws {
        #expect(try BinaryPayloads.decodeBatch(BinaryPayloads.encodeBatch(requests)) == requests)
    }

    /// A BATCH frame written from pre-encoded commands (the SDK's and the load generator's way)
    /// carries exactly what `encodeBatch` lays out.
    @Test func batchFrameFromEncodedCommandsMatchesEncodeBatch() {
        var encoded = ByteWriter()
        for request in requests { request.encode(to: &encoded) }
        var written = ByteBuffer()
        written.writeBatchFrame(requestID: 9, commandCount: requests.count) { $0.writeBytes(encoded.bytes) }
        var expected = ByteBuffer()
        expected.writeFrame(FrameHeader(format: .binary, opcode: .batch, requestID: 9)) { $0.writeBytes(BinaryPayloads.encodeBatch(requests)) }
        #expect(written == expected)
    }

    @Test func helloFrameCarriesTheTokenBack() throws {
        var written = ByteBuffer()
        written.writeHelloFrame(requestID: 4, token: "lbr_0123456789")
        let (header, length) = try #require(try FrameHeader.peek(written))
        #expect(header == FrameHeader(format: .binary, opcode: .hello, requestID: 4))
        #expect(length + 4 == written.readableBytes)
        written.moveReaderIndex(forwardBy: FrameHeader.bytes)
        #expect(try BinaryPayloads.decodeHello(Array(written.readableBytesView)) == "lbr_0123456789")
    }

    @Test func binaryBatchRejectsEveryTruncation() {
        let bytes = BinaryPayloads.encodeBatch(requests)
        for length in 0..<bytes.count {
            #expect(throws: ProtocolRefusal.self) { try BinaryPayloads.decodeBatch(Array(bytes.prefix(length))) }
        }
    }

    @Test func binaryBatchRejectsEmptyAndOversizedCounts() throws {
        var writer = ByteWriter()
        writer.write(UInt32(0))
        #expect(throws: ProtocolRefusal.self) { try BinaryPayloads.decodeBatch(writer.bytes) }
        var many = ByteWriter()
        many.write(UInt32(ProtocolLimits.commandsPerFrameMax + 1))
        do {
            _ = try BinaryPayloads.decodeBatch(many.bytes)
            Issue.record("accepted too many commands")
        } catch {
            #expect(error.code == .tooManyCommands)
        }
    }

    @Test func resultsAndErrorsRoundTrip() throws {
        let outcomes: [Outcome] = [.refused(Refusal(.noCopyAvailable)), .refused(.invalid(.isbn))]
        var writer = ByteWriter()
        BinaryPayloads.encodeResults(outcomes, into: &writer)
        #expect(try BinaryPayloads.decodeResults(writer.bytes) == outcomes)
        let refusal = ProtocolRefusal(.rateLimited)
        #expect(try BinaryPayloads.decodeError(BinaryPayloads.encodeError(refusal)) == refusal)
    }

    @Test func jsonRequestsRoundTripThroughTheirOwnEncoding() throws {
        let all: [Request] = requests + [
            Request(.updateItem(3, ItemChanges(title: "New", type: .media))),
            Request(.registerMember(MemberDraft(email: "ada@example.org", name: "Ada", tier: "premium", cardExpiryDay: CivilDate(year: 2030, month: 1, day: 31).daysSinceEpoch))),
            Request(.updateMember(4, MemberChanges(cardExpiryDay: CivilDate(year: 2031, month: 2, day: 1).daysSinceEpoch))),
            Request(.setPolicy(PolicyKey(tier: "staff", itemType: .media), Policy(loanDays: 7, maxLoans: 3, maxRenewals: 1, finePerDayCents: 50, maxFinePerLoanCents: 500, blockThresholdCents: 1000))),
            Request(.returnLoan(9), idempotencyKey: "k"), Request(.renewLoan(9)), Request(.payFine(4, amountCents: 125)),
            Request(.memberLoans(4, after: 17, limit: 10)), Request(.overdueLoans(after: nil, limit: 5)), Request(.withdrawItem(2)),
            Request(.addCopies(2, count: 3)), Request(.removeCopies(2, count: 1)), Request(.suspendMember(4)), Request(.reinstateMember(4)),
            Request(.getMember(4)), Request(.listItems(after: 10, limit: 50)), Request(.listMembers(after: nil, limit: 1)),
            Request(.importLoan(LoanImport(member: 4, item: 2, checkedOutAt: Timestamp(rawValue: 1_795_255_200_000), dueAt: Timestamp(rawValue: 1_796_515_199_999)))),
            Request(
                .importLoan(
                    LoanImport(
                        member: 4, item: 2, checkedOutAt: Timestamp(rawValue: 1_600_000_000_123), dueAt: Timestamp(rawValue: 1_601_000_000_000),
                        returnedAt: Timestamp(rawValue: 1_602_000_000_000), fineCents: 250, fineOwed: true)), idempotencyKey: "import/1"),
            Request(.placeHold(member: 4, item: 2), idempotencyKey: "hold/1"), Request(.cancelHold(77)), Request(.itemHolds(2, after: 70, limit: 5)),
            Request(.itemHolds(2, after: nil, limit: 100)), Request(.memberHolds(4)),
            Request(.blockMember(4, MemberBlockDraft(reason: "lost card", effects: [.borrowing, .renewing], expiresAt: Timestamp(rawValue: 1_800_000_000_000)))),
            Request(.blockMember(4, MemberBlockDraft(reason: "fraud"))), Request(.declareLost(9)), Request(.claimReturned(9)),
            Request(.markMissing(2, count: 1)), Request(.markFound(2, from: .lost)), Request(.analytics(.summary)),
            Request(.analytics(.topItems(limit: 5))), Request(.analytics(.dailyCheckouts(fromDay: 20_400, toDay: 20_410))), Request(.analytics(.inventory(limit: 3))),
            Request(.searchCatalog("signals and systems", after: nil, limit: 20)), Request(.searchCatalog("oppenheim", after: SearchCursor(score: 60, item: 12), limit: 5)), Request(.unblockMember(4, block: 58), idempotencyKey: "lift/58"),
        ]
        let bytes = JSONPayloads.encode(BatchJSON(commands: all.map(RequestJSON.init)))
        #expect(try JSONPayloads.decodeBatch(bytes) == all)
        // Every op is named in RequestJSON.ops, so the documentation list stays complete.
        #expect(Set(all.map(\.command.name)) == Set(RequestJSON.ops))
    }

    @Test func jsonErrorsNameThePath() {
        let bytes = Array(#"{"commands":[{"op":"checkout","member":1}]}"#.utf8)
        do {
            _ = try JSONPayloads.decodeBatch(bytes)
            Issue.record("accepted a checkout without an item")
        } catch {
            #expect(error.code == .malformedRequest)
            #expect(error.message.contains("item"))
        }
        #expect(throws: ProtocolRefusal.self) { try JSONPayloads.decodeBatch(Array(#"{"commands":[{"op":"explode"}]}"#.utf8)) }
        #expect(throws: ProtocolRefusal.self) { try JSONPayloads.decodeBatch(Array("not json".utf8)) }
    }

    @Test func anUnreadableDateBecomesAnInvalidFieldRefusalInTheEngine() throws {
        let bytes = Array(#"{"commands":[{"op":"register_member","email":"a@b.org","name":"A","card_expiry":"2030-02-30"}]}"#.utf8)
        let requests = try JSONPayloads.decodeBatch(bytes)
        guard case .registerMember(let draft) = requests[0].command else { Issue.record("wrong command"); return }
        #expect(!Limits.cardExpiryDayRange.contains(draft.cardExpiryDay))
    }

    @Test func everyErrorCodeHasAnHTTPStatusInItsClass() {
        for code in ErrorCode.allCases {
            #expect([400, 401, 403, 404, 409, 410, 413, 422, 429, 500, 503].contains(code.httpStatus), "\(code.name)")
        }
    }
}
