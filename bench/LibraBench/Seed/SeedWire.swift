import Engine
import LibraProtocol
import NIOCore

/// The seeder's side of the binary protocol, written and read in place: commands go straight
/// into the frame's buffer (no `Request` values), and answers are skimmed for what the seeder
/// needs (ids of created records, refusal codes), so that the client stays cheap next to the
/// server it measures on the same cores. The layouts are those of docs/protocol.md, and
/// `verifyEncoding` checks one command of each kind against the codec at every start.
enum SeedWire {
    static func writeString(_ text: String, into buffer: inout ByteBuffer) {
        var text = text
        text.withUTF8 { bytes in
            buffer.writeInteger(UInt32(bytes.count), endianness: .little)
            buffer.writeBytes(bytes)
        }
    }

    /// A `create_item` without an idempotency key.
    static func writeCreateItem(_ draft: ItemDraft, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt8(1))
        writeString(draft.isbn, into: &buffer)
        writeString(draft.title, into: &buffer)
        writeString(draft.author, into: &buffer)
        writeString(draft.publisher, into: &buffer)
        buffer.writeInteger(draft.year, endianness: .little)
        buffer.writeInteger(draft.type.rawValue)
        buffer.writeInteger(draft.copies, endianness: .little)
    }

    static func writeRegisterMember(_ draft: MemberDraft, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt8(6))
        writeString(draft.email, into: &buffer)
        writeString(draft.name, into: &buffer)
        writeString(draft.tier, into: &buffer)
        buffer.writeInteger(draft.cardExpiryDay, endianness: .little)
    }

    /// An `import_loan` (tag 21); the fine is left to the server's policy. Stored field by field
    /// into the buffer's free space in one call (the import is the bulk of what seeding sends).
    static func writeImportLoan(member: UInt64, item: UInt64, _ loan: SeedLoan, into buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 64) { raw in
            raw[0] = 0
            raw[1] = 21
            raw.storeBytes(of: member.littleEndian, toByteOffset: 2, as: UInt64.self)
            raw.storeBytes(of: item.littleEndian, toByteOffset: 10, as: UInt64.self)
            raw.storeBytes(of: loan.checkedOutAt.littleEndian, toByteOffset: 18, as: Int64.self)
            raw.storeBytes(of: loan.dueAt.littleEndian, toByteOffset: 26, as: Int64.self)
            var offset = 34
            if loan.returnedAt == Int64.min {
                raw[offset] = 0
                offset += 1
            } else {
                raw[offset] = 1
                raw.storeBytes(of: loan.returnedAt.littleEndian, toByteOffset: offset + 1, as: Int64.self)
                offset += 9
            }
            raw[offset] = 0
            raw[offset + 1] = loan.fineOwed ? 1 : 0
            return offset + 2
        }
    }

    /// Checks the hand-written layouts against the codec once, so that a change in the protocol
    /// fails loudly instead of seeding garbage.
    /// Whether `skimResults` walks the codec's own encoding of every reply seeding gets (items,
    /// members with loans and blocks, active and ended loans, refusals) to its exact end.
    static func verifySkim() -> Bool {
        let at = Timestamp(rawValue: 1_700_000_000_000)
        let item = Item(id: 7, isbn: "9780306406157", title: "T", author: "A", publisher: "P", year: 2000, type: .book, status: .active, totalCopies: 3, availableCopies: 1)
        let block = MemberBlock(id: 9, reason: "r", effects: .all, placedAt: at, expiresAt: at)
        let member = Member(
            id: 5, email: "a@b.org", name: "N", tier: "standard", status: .active, cardExpiryDay: 1, finesOwedCents: 0,
            activeLoans: [ActiveLoan(loan: 1, item: 7, dueAt: at)], blocks: [block, MemberBlock(id: 10, reason: "", effects: .holds, placedAt: at, expiresAt: nil)])
        let active = Loan(id: 1, item: 7, member: 5, itemType: .book, checkedOutAt: at, dueAt: at)
        let ended = Loan(id: 2, item: 7, member: 5, itemType: .book, checkedOutAt: at, dueAt: at, returnedAt: at, fineCents: 25, end: .lost)
        let outcomes: [Outcome] = [.ok(.item(item)), .ok(.member(member)), .ok(.loan(active)), .ok(.loan(ended)), .refused(Refusal(.emailTaken))]
        var writer = ByteWriter()
        BinaryPayloads.encodeResults(outcomes, into: &writer)
        var buffer = ByteBuffer(bytes: writer.bytes)
        guard let skimmed = try? skimResults(&buffer, wantIDs: true) else { return false }
        return skimmed.ids == [7, 5, 1, 2, 0] && skimmed.ok == 4 && skimmed.refused == [.emailTaken: 1]
    }

    static func verifyEncoding(item: ItemDraft, member: MemberDraft) -> Bool {
        let loan = SeedLoan(member: 0, item: 0, checkedOutAt: 1_000, dueAt: 2_000, returnedAt: 1_500, fineOwed: true)
        var buffer = ByteBuffer()
        writeCreateItem(item, into: &buffer)
        writeRegisterMember(member, into: &buffer)
        writeImportLoan(member: 7, item: 9, loan, into: &buffer)
        var expected = ByteWriter()
        Request(.createItem(item)).encode(to: &expected)
        Request(.registerMember(member)).encode(to: &expected)
        Request(.importLoan(LoanImport(member: 7, item: 9, checkedOutAt: Timestamp(rawValue: 1_000), dueAt: Timestamp(rawValue: 2_000), returnedAt: Timestamp(rawValue: 1_500), fineOwed: true))).encode(to: &expected)
        return Array(buffer.readableBytesView) == expected.bytes
    }

    // MARK: Answers

    /// What one RESULTS payload held: the id of each created record (0 where refused), and the
    /// refusals by code.
    struct Skimmed {
        var ids: [UInt64] = []
        var ok = 0
        var refused: [ErrorCode: Int] = [:]
    }

    enum SkimError: Error { case malformed(String) }

    /// Walks a RESULTS payload: count u32, then per outcome tag 1 and a reply (item, member or
    /// loan: the only ones seeding and `libra-bench load` get), or tag 2, code u16 and field u8.
    /// Reads the bytes in place, by offset: four million loan answers should cost the client next
    /// to nothing.
    static func skimResults(_ buffer: inout ByteBuffer, wantIDs: Bool) throws -> Skimmed {
        try buffer.withUnsafeReadableBytes { bytes throws -> Skimmed in
            var offset = 0
            func need(_ count: Int) throws {
                guard offset + count <= bytes.count else { throw SkimError.malformed("cut short at \(offset)") }
            }
            func u32(_ at: Int) -> Int { Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))) }
            try need(4)
            let count = u32(0)
            offset = 4
            var skimmed = Skimmed()
            if wantIDs { skimmed.ids.reserveCapacity(count) }
            for _ in 0..<count {
                try need(1)
                let tag = bytes[offset]
                if tag == 2 {
                    try need(4)
                    let code = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 1, as: UInt16.self))
                    skimmed.refused[ErrorCode(rawValue: code) ?? .internalError, default: 0] += 1
                    if wantIDs { skimmed.ids.append(0) }
                    offset += 4
                    continue
                }
                try need(10)
                guard tag == 1 else { throw SkimError.malformed("outcome tag \(tag)") }
                let reply = bytes[offset + 1]
                let id = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 2, as: UInt64.self))
                skimmed.ok += 1
                if wantIDs { skimmed.ids.append(id) }
                offset += 10
                switch reply {
                case 3:  // loan: item, member, type, two times, renewals, then returned at?, fine, end
                    try need(8 + 8 + 1 + 8 + 8 + 4 + 1)
                    offset += 8 + 8 + 1 + 8 + 8 + 4
                    let present = bytes[offset]
                    offset += 1 + (present == 1 ? 8 : 0) + 8 + 1
                case 1, 2:  // item: 4 strings, then 30 bytes; member: 3 strings, 13 bytes, active loans, blocks
                    for _ in 0..<(reply == 1 ? 4 : 3) {
                        try need(4)
                        offset += 4 + u32(offset)
                    }
                    if reply == 1 {
                        offset += 4 + 1 + 1 + 4 * 6
                    } else {
                        try need(13 + 4)
                        offset += 13
                        offset += 4 + u32(offset) * 24
                        try need(4)
                        let blocks = u32(offset)
                        offset += 4
                        for _ in 0..<blocks {  // id, reason, effects, placed at, expires at?
                            try need(8 + 4)
                            offset += 8
                            offset += 4 + u32(offset)
                            try need(1 + 8 + 1)
                            offset += 1 + 8
                            offset += 1 + (bytes[offset] == 1 ? 8 : 0)
                        }
                    }
                default:
                    throw SkimError.malformed("reply tag \(reply)")
                }
            }
            try need(0)
            return skimmed
        }
    }
}
