import Foundation

/// SHA-256 of `data` as 64 lowercase hex characters: the signer's libcrypto digest, shared so
/// strata hashes with one implementation (idempotency tokens, plan fingerprints).
public func sha256Hex(_ data: Data) -> String {
    Digest.hex(Digest.sha256(data))
}
