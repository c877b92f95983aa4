/// The best `capacity` hits seen so far, by (score descending, slot ascending), in a heap
/// with the worst of them on top: a candidate costs O(log capacity) and only the page is
/// ever sorted.
struct TopHits {
    struct Entry: Equatable {
        var score: Int32
        var slot: UInt32

        /// True when `self` comes after `other` in results.
        @inline(__always) func ranks(after other: Entry) -> Bool {
            score != other.score ? score < other.score : slot > other.slot
        }
    }

    let capacity: Int
    private var heap: [Entry] = []

    init(capacity: Int) {
        precondition(capacity > 0, "a page holds at least one hit")
        self.capacity = capacity
        heap.reserveCapacity(capacity)
    }

    var isFull: Bool { heap.count == capacity }
    /// The hit a better candidate would replace; only meaningful when full.
    var worst: Entry { heap[0] }

    mutating func offer(score: Int32, slot: UInt32) {
        let entry = Entry(score: score, slot: slot)
        if heap.count < capacity {
            heap.append(entry)
            var child = heap.count - 1
            while child > 0 {
                let parent = (child - 1) / 2
                guard heap[child].ranks(after: heap[parent]) else { break }
                heap.swapAt(child, parent)
                child = parent
            }
        } else if heap[0].ranks(after: entry) {
            heap[0] = entry
            var parent = 0
            while true {
                var largest = parent
                let left = 2 * parent + 1
                let right = left + 1
                if left < heap.count && heap[left].ranks(after: heap[largest]) { largest = left }
                if right < heap.count && heap[right].ranks(after: heap[largest]) { largest = right }
                if largest == parent { break }
                heap.swapAt(parent, largest)
                parent = largest
            }
        }
    }

    /// The hits held, best first.
    func sorted() -> [Entry] {
        heap.sorted { $1.ranks(after: $0) }
    }
}
