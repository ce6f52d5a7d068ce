import Foundation

/// SHA-256 of `data` as 64 lowercase hex characters: the signer's libcrypto digest, shared so
/// strata hashes with one implementation (idempotency tokens, plan fingerprints, plan files).
public func sha256Hex(_ data: Data) -> String {
    Digest.hex(Digest.sha256(data))
}

/// HMAC-SHA-256 of `data` under `key`, as 64 lowercase hex characters (signed plan files).
public func hmacSHA256Hex(key: Data, _ data: Data) -> String {
    Digest.hex(Digest.hmacSHA256(key: key, data))
}
