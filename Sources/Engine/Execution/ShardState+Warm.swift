/// Cache warming. A hop's steps and events read records scattered over hundreds of megabytes,
/// and the rules read them one at a time: each read waits for its own cache miss. Before running
/// a run of steps (or events), a tight loop of independent loads touches what they will read, so
/// that the processor has many misses in flight at once and the rules then find their records in
/// cache. Swift has no prefetch instruction; a load whose value feeds a returned checksum serves
/// as one (the caller keeps the checksum so that the loads are not optimized away).
extension ShardState {
    /// Steps (or events) warmed and then run together: small enough that what one run warms
    /// stays in the first-level cache until it is used, large enough to keep many misses in flight.
    static let warmRun = 32

    /// Touches the records that `steps[range]` read: members, items, loans, then (dependent on
    /// those) the members of the loans and the members' active-loan lists. Each pass's loads
    /// depend only on the previous pass's, so that within a pass they overlap.
    func warm(steps: [ShardStep], _ range: Range<Int>) -> UInt64 {
        var checksum: UInt64 = 0
        for index in range {
            switch steps[index] {
            case .checkoutMember(_, let member, _, _), .importMember(_, let member, _, _):
                checksum &+= touch(member: member)
            case .checkoutItem(_, let item, _):
                checksum &+= touch(item: item)
            case .checkout(_, _, let member, let item, _):
                checksum &+= touch(member: member) &+ touch(item: item)
            case .returnLoan(_, _, let position), .renewLoan(_, _, let position, _):
                if Int(position) < loans.count { checksum &+= loans[Int(position)].id.rawValue }
            default:
                break
            }
        }
        // Second pass: loads that depend on the first (the loan's member, the member's list).
        for index in range {
            switch steps[index] {
            case .checkoutMember(_, let member, _, _), .importMember(_, let member, _, _), .checkout(_, _, let member, _, _):
                checksum &+= touch(activeLoansOf: member)
            case .returnLoan(_, _, let position), .renewLoan(_, _, let position, _):
                guard Int(position) < loans.count else { continue }
                let loan = loans[Int(position)]
                checksum &+= touch(member: loan.member) &+ touch(item: loan.item)
            default:
                break
            }
        }
        // Third pass: a returning member's active-loan list (the return takes the loan off it).
        for index in range {
            switch steps[index] {
            case .returnLoan(_, _, let position):
                guard Int(position) < loans.count else { continue }
                checksum &+= touch(activeLoansOf: loans[Int(position)].member)
            default:
                break
            }
        }
        return checksum
    }

    /// Touches the records that applying `events[range]` changes.
    func warm(events: [Event], _ range: Range<Int>, copiesReserved: Bool) -> UInt64 {
        var checksum: UInt64 = 0
        for index in range {
            switch events[index] {
            case .loanCreated(let loan), .loanImported(let loan, _):
                checksum &+= touch(member: loan.member) &+ (copiesReserved ? 0 : touch(item: loan.item))
            case .loanReturned(_, let member, let item, _, _):
                checksum &+= touch(member: member) &+ touch(item: item)
            default:
                break
            }
        }
        for index in range {
            switch events[index] {
            case .loanCreated(let loan), .loanImported(let loan, _): checksum &+= touch(activeLoansOf: loan.member)
            default: break
            }
        }
        return checksum
    }

    @inline(__always) private func touch(member id: MemberID) -> UInt64 {
        guard owns(member: id) else { return 0 }
        let local = ownership.localIndex(of: id)
        return local < members.count ? members[local].id.rawValue : 0
    }

    @inline(__always) private func touch(item id: ItemID) -> UInt64 {
        guard owns(item: id) else { return 0 }
        let local = ownership.localIndex(of: id)
        return local < items.count ? items[local].id.rawValue : 0
    }

    /// The member's active-loan list lives in a buffer of its own, a few cache lines long at the
    /// usual limits (5 loans: 152 bytes with its header): the checks scan it whole, a return
    /// moves its entries down and a checkout appends, so every line of it is touched, not only
    /// the first. The newest loan's slot is what appending to the member's history reads.
    @inline(__always) private func touch(activeLoansOf id: MemberID) -> UInt64 {
        guard owns(member: id) else { return 0 }
        let local = ownership.localIndex(of: id)
        guard local < members.count else { return 0 }
        var checksum = UInt64(newestLoanOfMember[local])
        members[local].activeLoans.withUnsafeBufferPointer { entries in
            checksum &+= UInt64(entries.count)
            // One entry per 64-byte line (entries are 24 bytes).
            var index = 2
            while index < entries.count {
                checksum &+= entries[index].loan.rawValue
                index += 2
            }
            if let last = entries.last { checksum &+= last.loan.rawValue }
        }
        return checksum
    }
}
