import Histogram
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Counters and the latency histogram, shared by the connections (on one client thread, or a
/// few with `--threads`, so the lock is barely contended) and read by the reporter once a second.
final class LoadStatistics: Sendable {
    struct State {
        var cycles = 0
        var commands = 0
        var frames = 0
        var errors: [String: Int] = [:]
        var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var recording = false
    }

    private let state = NIOLockedValueBox(State())

    /// Latency and counts only count while recording (after the warm-up).
    func startRecording() {
        state.withLockedValue {
            $0 = State()
            $0.recording = true
        }
    }

    func recordLatency(nanoseconds: UInt64) {
        state.withLockedValue { state in
            guard state.recording else { return }
            _ = state.latency.record(max(1, nanoseconds / 1000))
            state.frames += 1
        }
    }

    func countCycles(_ cycles: Int, commands: Int) {
        state.withLockedValue { state in
            guard state.recording else { return }
            state.cycles += cycles
            state.commands += commands
        }
    }

    func count(error name: String, times: Int = 1) {
        state.withLockedValue { state in
            guard state.recording else { return }
            state.errors[name, default: 0] += times
        }
    }

    var snapshot: State { state.withLockedValue { $0 } }
}
