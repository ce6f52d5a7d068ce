import AWSSigner
import Foundation

/// A salted SHA-256 of a `--var` value, `sha256:<salt>:<digest>` (hex): enough to tell the value
/// given to `apply PLANFILE` is the planned one, without the value. The salt is random per value,
/// so equal values in two plan files do not show as equal; a value that can be guessed can still
/// be confirmed against its digest, which is why the file stays readable only by its owner.
enum VarDigest {
    static func make(_ value: String) -> String {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        return "sha256:\(salt):\(sha256Hex(Data((salt + value).utf8)))"
    }

    static func matches(_ digest: String, _ value: String) -> Bool {
        let parts = digest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sha256" else { return false }
        return sha256Hex(Data((parts[1] + value).utf8)) == parts[2]
    }
}
