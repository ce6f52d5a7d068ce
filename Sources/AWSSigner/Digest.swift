import CCrypto
import Foundation

/// SHA-256 and HMAC-SHA-256 from libcrypto: the only primitives SigV4 needs.
enum Digest {
    static func sha256<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> [UInt8] {
        let input = Array(bytes)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { raw in
            out.withUnsafeMutableBufferPointer { outPtr in
                EVP_Digest(raw.baseAddress, raw.count, outPtr.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        // EVP_Digest fails only on allocation failure or a missing algorithm; SHA-256 is always
        // built into libcrypto, so a failure here means the process cannot go on meaningfully.
        precondition(ok == 1 && length == 32, "libcrypto SHA-256 failed")
        return out
    }

    static func hmacSHA256<Key: Sequence<UInt8>, Bytes: Sequence<UInt8>>(key: Key, _ bytes: Bytes) -> [UInt8] {
        let keyBytes = Array(key)
        let input = Array(bytes)
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let result = keyBytes.withUnsafeBytes { keyRaw in
            input.withUnsafeBytes { inRaw in
                out.withUnsafeMutableBufferPointer { outPtr in
                    HMAC(
                        EVP_sha256(), keyRaw.baseAddress, Int32(keyRaw.count),
                        inRaw.baseAddress?.assumingMemoryBound(to: UInt8.self), inRaw.count,
                        outPtr.baseAddress, &length)
                }
            }
        }
        precondition(result != nil && length == 32, "libcrypto HMAC-SHA-256 failed")
        return out
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
