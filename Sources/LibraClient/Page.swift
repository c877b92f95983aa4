import Engine

/// What a page can hold: records that are listed in ascending order of their id.
public protocol PageElement: Sendable, Hashable {
    associatedtype ID: Sendable, Hashable
    var id: ID { get }
}

extension Loan: PageElement {}
extension Item: PageElement {}
extension Member: PageElement {}
extension QueuedHold: PageElement {
    public var id: HoldID { hold.id }
}

/// One page of a listing. Pass `next` as `after:` to get the following page; nil means this
/// page is the last.
public struct Page<Element: PageElement>: Sendable, Hashable {
    public var elements: [Element]
    public var next: Element.ID?

    public init(elements: [Element], next: Element.ID?) {
        self.elements = elements
        self.next = next
    }

    public var isLast: Bool { next == nil }
}
