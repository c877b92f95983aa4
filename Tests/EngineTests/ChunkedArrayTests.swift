import Testing

@testable import Engine

/// `ChunkedArray`: chunked storage that behaves as one array, and the element addresses that
/// cache warming asks for.
@Suite struct ChunkedArrayTests {
    @Test func behavesAsAnArrayAcrossChunks() {
        var chunked = ChunkedArray<Int>()
        var plain: [Int] = []
        let count = ChunkedArray<Int>.chunkSize * 2 + 17
        for value in 0..<count {
            chunked.append(value * 3)
            plain.append(value * 3)
        }
        #expect(Array(chunked) == plain)
        chunked[ChunkedArray<Int>.chunkSize + 1] = -1
        plain[ChunkedArray<Int>.chunkSize + 1] = -1
        chunked[3] = -2
        plain[3] = -2
        #expect(Array(chunked) == plain)
        chunked.removeLast(ChunkedArray<Int>.chunkSize + 20)
        plain.removeLast(ChunkedArray<Int>.chunkSize + 20)
        #expect(Array(chunked) == plain)
        #expect(chunked.count == plain.count)
    }

    @Test func copiesDoNotShareWrites() {
        var original = ChunkedArray<Int>(repeating: 7, count: ChunkedArray<Int>.chunkSize + 1)
        let copy = original
        original[0] = 1
        #expect(copy[0] == 7)
        #expect(original[0] == 1)
        #expect(copy[ChunkedArray<Int>.chunkSize] == 7)
    }

    /// `prefetch` computes element addresses from each chunk's storage object and an offset the
    /// standard library does not publish; a wrong offset would silently warm the wrong lines.
    @Test func prefetchAddressesAreTheElementsAddresses() {
        checkAddresses(of: ChunkedArray<UInt8>(repeating: 1, count: ChunkedArray<UInt8>.chunkSize + 5))
        let loan = Loan(id: LoanID(1), item: ItemID(2), member: MemberID(3), itemType: .book, checkedOutAt: .zero, dueAt: .zero)
        checkAddresses(of: ChunkedArray<Loan>(repeating: loan, count: 3))
        checkAddresses(of: ChunkedArray<LoanRoute>(repeating: .none, count: ChunkedArray<LoanRoute>.chunkSize * 2))
    }

    /// The same for a plain array, as a member's active-loan list is warmed.
    @Test func unretainedAddressesOfAPlainArray() {
        let entries = [ActiveLoan(loan: LoanID(1), item: ItemID(2), dueAt: .zero), ActiveLoan(loan: LoanID(3), item: ItemID(4), dueAt: .zero)]
        for index in entries.indices {
            let expected = entries.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + index) }
            #expect(entries.unretainedAddress(of: index) == expected)
        }
    }

    private func checkAddresses<Element>(of array: ChunkedArray<Element>) {
        for index in [0, 1, array.count / 2, array.count - 1] {
            let chunk = array.chunks[index >> ChunkedArray<Element>.shift]
            let expected = chunk.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress! + (index & ChunkedArray<Element>.mask)) }
            #expect(array.address(of: index) == expected, "element \(index) of \(Element.self)")
        }
    }
}
