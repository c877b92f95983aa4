import Engine

/// A search cursor in JSON and URLs: "score:item", as the previous page's `next` gave it.
public enum SearchCursorText {
    public static func text(_ cursor: SearchCursor) -> String { "\(cursor.score):\(cursor.item.rawValue)" }

    public static func cursor(_ text: String) -> SearchCursor? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let score = Int32(parts[0]), let item = UInt64(parts[1]) else { return nil }
        return SearchCursor(score: score, item: ItemID(item))
    }
}

public struct ScoredItemJSON: Encodable, Sendable {
    public var score: Int32
    public var item: ItemJSON
}
