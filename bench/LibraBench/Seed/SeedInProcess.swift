import Engine
import LibraProtocol
import NIOCore

/// `libra-bench seed --in-process`: the same dataset, decoded from the same frames, run through
/// an engine in this process (no log, no network), to tell the engine's share of the cost from
/// the server's. Only the time spent in `Engine.execute` counts.
enum SeedInProcess {
    struct Result {
        var records = 0
        var refused: [ErrorCode: Int] = [:]
        var engineSeconds = 0.0
        var catalogSeconds = 0.0
    }

    static func run(catalog: SeedCatalog, endDay: Int32, batch: Int, commandsPerBatch: Int, shards: Int) async -> (Result, SeedHistory) {
        let engine = Engine(configuration: EngineConfiguration(shardCount: shards))
        var result = Result()
        var itemIDs = [UInt64](repeating: 0, count: catalog.scenario.items)
        var memberIDs = [UInt64](repeating: 0, count: catalog.scenario.members)

        func drain(_ source: any SeedSource) async {
            var requests: [Request] = []
            var frames: [SeedFrame] = []
            while true {
                var buffer = ByteBuffer()
                let countAt = buffer.writerIndex
                buffer.writeInteger(UInt32(0), endianness: .little)
                let frame = source.writeNext(into: &buffer, limit: batch)
                if let frame {
                    buffer.setInteger(UInt32(frame.count), at: countAt, endianness: .little)
                    requests += try! BinaryPayloads.decodeBatch(Array(buffer.readableBytesView))
                    frames.append(frame)
                }
                guard frame == nil || requests.count + batch > commandsPerBatch else { continue }
                if requests.isEmpty { return }
                let began = monotonicSeconds()
                let outcomes = await engine.execute(requests).outcomes
                result.engineSeconds += monotonicSeconds() - began
                var offset = 0
                for frame in frames {
                    for index in 0..<frame.count {
                        let outcome = outcomes[offset + index]
                        if let refusal = outcome.refusal { result.refused[refusal.code, default: 0] += 1 }
                        switch (frame.kind, outcome) {
                        case (.items, .ok(.item(let item))): itemIDs[frame.first + index] = item.id.rawValue
                        case (.members, .ok(.member(let member))): memberIDs[frame.first + index] = member.id.rawValue
                        default: break
                        }
                    }
                    offset += frame.count
                }
                result.records += requests.count
                requests.removeAll(keepingCapacity: true)
                frames.removeAll(keepingCapacity: true)
                if frame == nil { return }
            }
        }

        await drain(CatalogSource(catalog: catalog, expiryDay: endDay + 365))
        result.catalogSeconds = result.engineSeconds
        let loans = LoanSource(history: SeedHistory(catalog: catalog, endDay: endDay), itemIDs: itemIDs, memberIDs: memberIDs)
        await drain(loans)
        return (result, loans.history)
    }
}
