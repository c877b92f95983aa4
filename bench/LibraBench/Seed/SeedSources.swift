import Engine
import NIOCore

/// Phase 1: every item, then every member, in index order. Sources are used on the pump's loop only.
final class CatalogSource: SeedSource, @unchecked Sendable {
    private let catalog: SeedCatalog
    private let expiryDay: Int32
    private var nextItem = 0
    private var nextMember = 0

    init(catalog: SeedCatalog, expiryDay: Int32) {
        self.catalog = catalog
        self.expiryDay = expiryDay
    }

    func writeNext(into buffer: inout ByteBuffer, limit: Int) -> SeedFrame? {
        let scenario = catalog.scenario
        if nextItem < scenario.items {
            let frame = SeedFrame(kind: .items, first: nextItem, count: min(limit, scenario.items - nextItem))
            for index in frame.first..<frame.first + frame.count { SeedWire.writeCreateItem(catalog.itemDraft(index), into: &buffer) }
            nextItem += frame.count
            return frame
        }
        if nextMember < scenario.members {
            let frame = SeedFrame(kind: .members, first: nextMember, count: min(limit, scenario.members - nextMember))
            for index in frame.first..<frame.first + frame.count { SeedWire.writeRegisterMember(catalog.memberDraft(index, expiryDay: expiryDay), into: &buffer) }
            nextMember += frame.count
            return frame
        }
        return nil
    }
}

/// Phase 2: the loan history, in time order, with the server's ids for the dataset's indices.
final class LoanSource: SeedSource, @unchecked Sendable {
    /// Moved out while a frame is written (see `writeNext`), so never nil between calls.
    private var state: SeedHistory?
    var history: SeedHistory { state! }
    private let itemIDs: [UInt64]
    private let memberIDs: [UInt64]

    init(history: SeedHistory, itemIDs: [UInt64], memberIDs: [UInt64]) {
        state = history
        self.itemIDs = itemIDs
        self.memberIDs = memberIDs
    }

    func writeNext(into buffer: inout ByteBuffer, limit: Int) -> SeedFrame? {
        // Work on locals: a class's stored properties would pay an exclusivity check per loan,
        // and a copy left behind would make the history's arrays copy on their next write.
        var history = state.take()!
        defer { state = history }
        let (itemIDs, memberIDs) = (self.itemIDs, self.memberIDs)
        var count = 0
        let first = history.produced
        while count < limit, let loan = history.next() {
            SeedWire.writeImportLoan(member: memberIDs[loan.member], item: itemIDs[loan.item], loan, into: &buffer)
            count += 1
        }
        return count == 0 ? nil : SeedFrame(kind: .loans, first: first, count: count)
    }
}
