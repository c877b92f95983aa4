/// Logged batches decoded for replay: each batch's header, and the events of all of them in one
/// array. Recovery decodes millions of records; one events array per chunk instead of one per
/// record saves an allocation and a free for each. Who caused the events is checked on
/// decoding, not kept (replay does not need it).
public struct ReplayChunk: Sendable {
    public private(set) var headers: [BatchRecord.Header] = []
    /// Where each batch's events end in `events`.
    private var eventEnds: [Int] = []
    public private(set) var events: [Event] = []

    public init() {}

    public init(_ records: some Sequence<BatchRecord>) {
        for record in records { append(record) }
    }

    public var count: Int { headers.count }
    public var isEmpty: Bool { headers.isEmpty }

    /// The events of the batch at `index`.
    public func events(of index: Int) -> ArraySlice<Event> {
        events[(index == 0 ? 0 : eventEnds[index - 1])..<eventEnds[index]]
    }

    public mutating func append(_ record: BatchRecord) {
        headers.append(record.header)
        events.append(contentsOf: record.events)
        eventEnds.append(events.count)
    }

    /// Decodes one logged record onto the end of the chunk. On a throw the chunk is unchanged.
    public mutating func decode(from reader: inout ByteReader) throws(DecodingError) {
        let eventsBefore = events.count
        var noActors: [String] = []
        var noSources: [EventSource] = []
        do {
            headers.append(try BatchRecord.decode(from: &reader, events: &events, keepingSources: false, actors: &noActors, sources: &noSources))
        } catch {
            events.removeLast(events.count - eventsBefore)
            throw error
        }
        eventEnds.append(events.count)
    }

    /// Takes the last batch off the chunk.
    public mutating func removeLast() {
        headers.removeLast()
        eventEnds.removeLast()
        events.removeLast(events.count - (eventEnds.last ?? 0))
    }
}
