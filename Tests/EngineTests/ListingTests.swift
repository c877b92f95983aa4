import Engine
import Testing

/// `list_items` and `list_members`: keyset pages over every shard, ascending by id.
@Suite struct ListingTests {
    static func itemPage(_ library: UnitFixture, after: ItemID?, limit: Int32) async -> (ids: [ItemID], next: ItemID?)? {
        guard case .ok(.items(let items, let next)) = await library.run(.listItems(after: after, limit: limit)) else { return nil }
        return (items.map(\.id), next)
    }

    static func memberPage(_ library: UnitFixture, after: MemberID?, limit: Int32) async -> (ids: [MemberID], next: MemberID?)? {
        guard case .ok(.members(let members, let next)) = await library.run(.listMembers(after: after, limit: limit)) else { return nil }
        return (members.map(\.id), next)
    }

    /// Follows `next` from the start; every page but the last is full.
    static func allItems(_ library: UnitFixture, limit: Int32) async -> [ItemID] {
        var seen: [ItemID] = []
        var cursor: ItemID? = nil
        repeat {
            guard let page = await itemPage(library, after: cursor, limit: limit) else {
                Issue.record("item list refused")
                return seen
            }
            if page.next != nil { #expect(page.ids.count == Int(limit)) }
            seen += page.ids
            cursor = page.next
        } while cursor != nil
        return seen
    }

    static func allMembers(_ library: UnitFixture, limit: Int32) async -> [MemberID] {
        var seen: [MemberID] = []
        var cursor: MemberID? = nil
        repeat {
            guard let page = await memberPage(library, after: cursor, limit: limit) else {
                Issue.record("member list refused")
                return seen
            }
            if page.next != nil { #expect(page.ids.count == Int(limit)) }
            seen += page.ids
            cursor = page.next
        } while cursor != nil
        return seen
    }

    @Test func emptyCatalogAndMemberList() async {
        let library = UnitFixture(shardCount: 3)
        #expect(await library.run(.listItems(after: nil, limit: 10)) == .ok(.items([], next: nil)))
        #expect(await library.run(.listMembers(after: nil, limit: 10)) == .ok(.members([], next: nil)))
        #expect(await library.run(.listItems(after: 5, limit: 1)) == .ok(.items([], next: nil)))
    }

    /// `next` is set only when at least one more element exists: a last page that is exactly
    /// full has none.
    @Test func exactPageBoundary() async {
        let library = UnitFixture(shardCount: 2)
        for _ in 0..<6 { _ = await library.item() }
        let first = await Self.itemPage(library, after: nil, limit: 3)
        #expect(first?.ids == [1, 2, 3] && first?.next == 3)
        let second = await Self.itemPage(library, after: 3, limit: 3)
        #expect(second?.ids == [4, 5, 6] && second?.next == nil)
        let whole = await Self.itemPage(library, after: nil, limit: 6)
        #expect(whole?.ids == [1, 2, 3, 4, 5, 6] && whole?.next == nil)
        let short = await Self.itemPage(library, after: nil, limit: 5)
        #expect(short?.ids == [1, 2, 3, 4, 5] && short?.next == 5)
        // The cursor need not name an element: ids strictly above it.
        let between = await Self.itemPage(library, after: 0, limit: 2)
        #expect(between?.ids == [1, 2] && between?.next == 2)
    }

    @Test func cursorBeyondTheLastID() async {
        let library = UnitFixture(shardCount: 3)
        for _ in 0..<4 { _ = await library.item() }
        for _ in 0..<4 { _ = await library.member() }
        #expect(await Self.itemPage(library, after: 4, limit: 10)?.ids == [])
        #expect(await Self.itemPage(library, after: 1_000_000, limit: 10)?.ids == [])
        #expect(await Self.memberPage(library, after: 4, limit: 10)?.ids == [])
        for cursor in [UInt64.max, UInt64.max - 1, UInt64.max - 2] {
            #expect(await library.run(.listItems(after: ItemID(cursor), limit: 10)) == .ok(.items([], next: nil)))
            #expect(await library.run(.listMembers(after: MemberID(cursor), limit: 10)) == .ok(.members([], next: nil)))
        }
    }

    @Test func pageSizeOutsideItsRangeIsRefused() async {
        let library = UnitFixture()
        _ = await library.item()
        _ = await library.member()
        for limit: Int32 in [0, -1, Int32.min, 1001, Int32.max] {
            #expect(await library.run(.listItems(after: nil, limit: limit)) == .refused(.invalid(.pageSize)))
            #expect(await library.run(.listMembers(after: nil, limit: limit)) == .refused(.invalid(.pageSize)))
        }
        #expect(await Self.itemPage(library, after: nil, limit: 1000)?.ids == [1])
        #expect(await Self.memberPage(library, after: nil, limit: 1)?.ids == [1])
    }

    /// Seven shards: consecutive ids sit on different shards, and refused registrations (their
    /// ids taken, no member) leave gaps in the member list. Withdrawn items and suspended
    /// members are listed.
    @Test func manyShardsInterleavedIDs() async {
        let library = UnitFixture(shardCount: 7)
        for _ in 0..<40 { _ = await library.item() }
        _ = await library.run(.withdrawItem(11))
        var members: [MemberID] = []
        for index in 0..<30 {
            if index % 4 == 1 {
                // EMAIL_TAKEN: takes an id, registers no one.
                #expect(await library.refusal(.registerMember(MemberDraft(email: "member1@example.org", name: "N", tier: "standard", cardExpiryDay: 30_000))) == .emailTaken)
            } else if index % 9 == 4 {
                #expect(await library.refusal(.registerMember(MemberDraft(email: "x\(index)@example.org", name: "N", tier: "nobody", cardExpiryDay: 30_000))) == .unknownTier)
            } else {
                members.append(await library.member())
            }
        }
        _ = await library.run(.suspendMember(members[2]))
        #expect(members.count < 30)
        for limit: Int32 in [1, 2, 3, 6, 7, 8, 13, 40, 1000] {
            #expect(await Self.allItems(library, limit: limit) == (1...40).map { ItemID($0) })
            #expect(await Self.allMembers(library, limit: limit) == members)
        }
        // A page starting mid-way, at every cursor.
        for cursor in 0...31 {
            let expected = members.filter { $0.rawValue > UInt64(cursor) }
            let page = await Self.memberPage(library, after: MemberID(UInt64(cursor)), limit: 4)
            #expect(page?.ids == Array(expected.prefix(4)))
            #expect(page?.next == (expected.count > 4 ? expected[3] : nil))
        }
        guard case .ok(.items(let listed, _)) = await library.run(.listItems(after: 10, limit: 1)), let withdrawn = listed.first else {
            Issue.record("item list refused")
            return
        }
        #expect(withdrawn.id == 11 && withdrawn.status == .withdrawn)
        await library.expectInvariants()
    }

    /// A list sees every command sequenced before it in its batch and none after.
    @Test func listsSeeExactlyTheCommandsBeforeThemInABatch() async {
        let library = UnitFixture(shardCount: 3)
        _ = await library.item()
        func create(_ title: String) -> Request {
            Request(.createItem(ItemDraft(isbn: "9780306406157", title: title, author: "", publisher: "", year: 2000, type: .book, copies: 1)))
        }
        func register(_ email: String) -> Request {
            Request(.registerMember(MemberDraft(email: email, name: "N", tier: "standard", cardExpiryDay: 30_000)))
        }
        let outcomes = await library.engine.execute([
            create("a"), register("a@example.org"), Request(.listItems(after: nil, limit: 10)), Request(.listMembers(after: nil, limit: 10)),
            create("b"), register("b@example.org"), Request(.updateItem(1, ItemChanges(title: "changed"))),
            Request(.listItems(after: nil, limit: 10)), Request(.listMembers(after: nil, limit: 10)),
        ]).outcomes
        guard case .ok(.items(let early, nil)) = outcomes[2], case .ok(.members(let earlyMembers, nil)) = outcomes[3],
            case .ok(.items(let late, nil)) = outcomes[7], case .ok(.members(let lateMembers, nil)) = outcomes[8]
        else {
            Issue.record("lists refused: \(outcomes)")
            return
        }
        #expect(early.map(\.id) == [1, 2] && early.map(\.title) == ["T", "a"])
        #expect(earlyMembers.map(\.id) == [1])
        #expect(late.map(\.id) == [1, 2, 3] && late.map(\.title) == ["changed", "a", "b"])
        #expect(lateMembers.map(\.id) == [1, 2])
    }

    /// Reads ignore idempotency keys, even malformed ones.
    @Test func keysAreIgnored() async {
        let library = UnitFixture()
        _ = await library.item()
        #expect(await library.run(.listItems(after: nil, limit: 5), key: "") == .ok(.items([await library.itemRecord(1)!], next: nil)))
        #expect(await library.run(.listMembers(after: nil, limit: 5), key: String(repeating: "k", count: 65)) == .ok(.members([], next: nil)))
    }

    /// Deep pages: the cursor picks the starting slot directly, so a page near the end of a
    /// large catalog is the same as one at the start.
    @Test func deepPages() async {
        let library = UnitFixture(shardCount: 4)
        var requests: [Request] = []
        for index in 0..<3_000 {
            requests.append(Request(.createItem(ItemDraft(isbn: "9780306406157", title: "T\(index)", author: "", publisher: "", year: 2000, type: .book, copies: 1))))
            if index % 3 == 0 { requests.append(Request(.registerMember(MemberDraft(email: "m\(index)@example.org", name: "N", tier: "standard", cardExpiryDay: 30_000)))) }
        }
        _ = await library.engine.execute(requests)
        let deep = await Self.itemPage(library, after: 2_995, limit: 10)
        #expect(deep?.ids == [2_996, 2_997, 2_998, 2_999, 3_000] && deep?.next == nil)
        let middle = await Self.itemPage(library, after: 1_500, limit: 3)
        #expect(middle?.ids == [1_501, 1_502, 1_503] && middle?.next == 1_503)
        let members = await Self.memberPage(library, after: 990, limit: 1000)
        #expect(members?.ids == (991...1_000).map { MemberID($0) } && members?.next == nil)
        #expect(await Self.allMembers(library, limit: 1000).count == 1_000)
    }

    /// A batch's registrations reach a member's shard out of id order (decided on their
    /// addresses' shards, in several waves); the list is still complete and ascending, also
    /// after later batches add members below and above the gaps of refused ones.
    @Test func registrationsOfOneBatchAreListedInOrder() async {
        let library = UnitFixture(shardCount: 3)
        for round in 0..<3 {
            var requests: [Request] = []
            for index in 0..<900 {
                let email = index % 7 == 0 ? "dup\(round)@example.org" : "r\(round)-\(index)@example.org"
                requests.append(Request(.registerMember(MemberDraft(email: email, name: "N", tier: index % 50 == 0 ? "nobody" : "standard", cardExpiryDay: 30_000))))
            }
            _ = await library.engine.execute(requests)
        }
        let listed = await Self.allMembers(library, limit: 1000)
        #expect(listed == listed.sorted() && Set(listed).count == listed.count)
        #expect(listed.count == (await library.engine.counts()).members)
        await library.expectInvariants()
    }
}
