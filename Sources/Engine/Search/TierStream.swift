/// The slots of one field in the union of several posting lists, in ascending order, a window
/// of slots at a time: every list is read up to the window's end, the window's slots are
/// marked in a bitmap (which sorts and deduplicates them) and read back in order, and the next
/// window is twice as wide, up to `windowWidthMax`. Each list's next posting is kept beside
/// its position, so a list with nothing in the window is not touched: a short prefix's
/// thousands of rare terms cost a pass over this array, not a cache miss each. The first
/// window is sized to hold about a page, so a search that fills its page early reads little
/// more than it needs.
struct TierStream {
    private struct Cursor {
        var term: UInt32
        var position: UInt32
        /// The posting at `position`.
        var next: UInt32
    }

    /// Each window touches every list with a posting in it (a cache miss each), so a tier
    /// read to its end should take few windows; the window's bitmap is then at most 128 KiB.
    static let windowWidthMax = 1 << 20

    private var cursors: [Cursor] = []
    private let field: UInt32
    private var windowStart: Int
    private var windowWidth: Int
    private let slotEnd: Int
    private var window: [UInt64]

    /// `expected` postings are spread over the index's slots; about `wanted` are needed.
    init(terms: [UInt32], field: UInt32, from start: UInt32, index: CatalogIndex, expected: Int, wanted: Int) {
        self.field = field
        windowStart = Int(start)
        slotEnd = index.slots.count
        windowStart = min(windowStart, slotEnd)
        windowWidth = min(max(64, wanted * 2 * slotEnd / max(1, expected)), Self.windowWidthMax)
        window = [UInt64](repeating: 0, count: (min(slotEnd, Self.windowWidthMax) + 63) / 64)
        cursors.reserveCapacity(terms.count)
        for term in terms {
            if start == 0 {
                let first = index.firstPostings[Int(term)]
                if first != .max { cursors.append(Cursor(term: term, position: 0, next: first)) }
            } else {
                index.postings[Int(term)].withUnsafeBufferPointer { list in
                    let position = Self.seek(list, start << 1, guess: list.count * Int(start) / max(1, slotEnd))
                    if position < list.count { cursors.append(Cursor(term: term, position: UInt32(position), next: list[position])) }
                }
            }
        }
    }

    /// The first slot no window has covered yet.
    var nextSlot: Int { windowStart }

    /// The first position in `list` whose posting is `target` or above, searched outwards from
    /// `guess` in growing steps, then by halves: postings spread over the slots about evenly,
    /// so a guess in proportion lands near, and the search costs a cache miss or two instead
    /// of a binary search's many.
    static func seek(_ list: UnsafeBufferPointer<UInt32>, _ target: UInt32, guess: Int) -> Int {
        guard !list.isEmpty else { return 0 }
        var low = 0
        var high = list.count
        var probe = min(max(guess, 0), list.count - 1)
        var step = 1
        if list[probe] < target {
            while probe < list.count && list[probe] < target {
                low = probe + 1
                probe += step
                step *= 2
            }
            high = min(probe, list.count)
        } else {
            while probe >= 0 && list[probe] >= target {
                high = probe
                probe -= step
                step *= 2
            }
            low = max(probe + 1, 0)
        }
        while low < high {
            let middle = (low + high) / 2
            if list[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// Replaces `slots` with the next window's slots; false once every list is read.
    mutating func next(into slots: inout [UInt32], postings: [[UInt32]]) -> Bool {
        slots.removeAll(keepingCapacity: true)
        guard !cursors.isEmpty, windowStart < slotEnd else { return false }
        let start = windowStart
        let end = min(windowStart + windowWidth, slotEnd)
        let postingEnd = UInt64(end) << 1
        let field = self.field
        // One list is already in order: its slots go straight out.
        let direct = cursors.count == 1
        var kept = 0
        window.withUnsafeMutableBufferPointer { window in
            cursors.withUnsafeMutableBufferPointer { cursors in
                postings.withUnsafeBufferPointer { lists in
                    for index in 0..<cursors.count {
                        var cursor = cursors[index]
                        if UInt64(cursor.next) < postingEnd {
                            var position = Int(cursor.position)
                            cursor.next = .max
                            lists[Int(cursor.term)].withUnsafeBufferPointer { list in
                                while position < list.count {
                                    let posting = list[position]
                                    if UInt64(posting) >= postingEnd {
                                        cursor.next = posting
                                        break
                                    }
                                    if posting & 1 == field {
                                        let slot = Int(posting >> 1)
                                        if direct {
                                            slots.append(UInt32(slot))
                                        } else {
                                            window[(slot - start) >> 6] |= 1 << UInt64((slot - start) & 63)
                                        }
                                    }
                                    position += 1
                                }
                            }
                            cursor.position = UInt32(position)
                        }
                        if cursor.next != .max {
                            cursors[kept] = cursor
                            kept += 1
                        }
                    }
                }
            }
            if !direct {
                for word in 0..<(end - start + 63) >> 6 where window[word] != 0 {
                    var bits = window[word]
                    window[word] = 0
                    while bits != 0 {
                        slots.append(UInt32(start + word << 6 + bits.trailingZeroBitCount))
                        bits &= bits - 1
                    }
                }
            }
        }
        cursors.removeLast(cursors.count - kept)
        windowStart = end
        windowWidth = min(windowWidth * 2, Self.windowWidthMax)
        return true
    }
}
