#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Progress goes to stderr so that stdout carries only the final JSON line.
func progress(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

func format(_ value: Double, decimals: Int = 0) -> String {
    var factor = 1.0
    for _ in 0..<decimals { factor *= 10 }
    let rounded = (value * factor).rounded() / factor
    return decimals == 0 ? String(Int64(rounded)) : String(rounded)
}
