/// Cache warming. A hop's steps and events read records scattered over hundreds of megabytes,
/// and the rules read them one at a time: each read would wait for its own cache miss. Before
/// running a run of steps (or events), a tight loop asks for what they will read (prefetches,
/// which start a miss and do not wait for it), so that the processor has many misses in flight
/// at once and the rules then find their records in cache. Records found through other records
/// (a loan's member, a member's active-loan list) are asked for in a later pass, which reads
/// what the earlier pass asked for.
extension ShardState {
    /// Steps (or events) warmed and then run together: small enough that what one run warms
    /// stays in the first-level cache until it is used, large enough to keep many misses in flight.
    static let warmRun = 32

    /// Asks for the records that `steps[range]` read: members, items, loans, then the members
    /// and items of the loans and the members' active-loan lists.
    func warm(steps: [ShardStep], _ range: Range<Int>) {
        for index in range {
            switch steps[index] {
            case .checkoutMember(_, let member, _, _), .importMember(_, let member, _, _):
                prefetch(member: member)
            case .checkoutItem(_, let item, _):
                prefetch(item: item)
            case .checkout(_, _, let member, let item, _):
                prefetch(member: member)
                prefetch(item: item)
            case .returnLoan(_, _, let position), .renewLoan(_, _, let position, _):
                loans.prefetch(Int(position))
            default:
                break
            }
        }
        // Second pass: what the first pass's records lead to.
        for index in range {
            switch steps[index] {
            case .checkoutMember(_, let member, _, _), .importMember(_, let member, _, _), .checkout(_, _, let member, _, _):
                prefetch(activeLoansOf: member)
            case .returnLoan(_, _, let position), .renewLoan(_, _, let position, _):
                guard Int(position) < loans.count else { continue }
                let loan = loans[Int(position)]
                prefetch(member: loan.member)
                prefetch(item: loan.item)
            default:
                break
            }
        }
        // Third pass: a returning member's active-loan list (the return takes the loan off it).
        for index in range {
            switch steps[index] {
            case .returnLoan(_, _, let position):
                guard Int(position) < loans.count else { continue }
                prefetch(activeLoansOf: loans[Int(position)].member)
            default:
                break
            }
        }
    }

    /// Asks for the records that applying `events[range]` changes.
    func warm(events: [Event], _ range: Range<Int>, copiesReserved: Bool) {
        for index in range {
            switch events[index] {
            case .loanCreated(let loan), .loanImported(let loan, _):
                prefetch(member: loan.member)
                if !copiesReserved { prefetch(item: loan.item) }
            case .loanReturned(_, let member, let item, _, _):
                prefetch(member: member)
                prefetch(item: item)
            default:
                break
            }
        }
        for index in range {
            switch events[index] {
            case .loanCreated(let loan), .loanImported(let loan, _): prefetch(activeLoansOf: loan.member)
            default: break
            }
        }
    }

    /// The circulation fields come first in a member and in an item (see `Member`, `Item`);
    /// the strings after them (address, name; title, author) are not asked for.
    @inline(__always) private func prefetch(member id: MemberID) {
        guard owns(member: id) else { return }
        members.prefetch(ownership.localIndex(of: id), byteCount: Self.memberCirculationBytes)
    }

    @inline(__always) private func prefetch(item id: ItemID) {
        guard owns(item: id) else { return }
        items.prefetch(ownership.localIndex(of: id), byteCount: Self.itemCirculationBytes)
    }

    static let memberCirculationBytes = MemoryLayout<Member>.offset(of: \Member.email)!
    static let itemCirculationBytes = MemoryLayout<Item>.offset(of: \Item.year)!

    /// The member's active-loan list lives in a buffer of its own, a few cache lines long at the
    /// usual limits (5 loans: 152 bytes with its header): the checks scan it whole, a return
    /// moves its entries down and a checkout appends, so every line of it is asked for, not only
    /// the first. Its length is in its first line, which is not here yet, so the lines of the
    /// first `activeLoansWarmed` entries are asked for. The newest loan's slot is what appending
    /// to the member's history reads. Reads the member's record (asked for in an earlier pass).
    @inline(__always) private func prefetch(activeLoansOf id: MemberID) {
        guard owns(member: id) else { return }
        let local = ownership.localIndex(of: id)
        guard local < members.count else { return }
        newestLoanOfMember.prefetch(local)
        members[local].activeLoans.prefetchStorage(elements: Self.activeLoansWarmed)
    }

    static let activeLoansWarmed = 5
}
