/// An IPv4 CIDR block, parsed strictly: four octets, a prefix length 0–32, and no host bits set
/// (`10.0.0.1/16` is rejected, since AWS would silently mean `10.0.0.0/16`).
public struct CIDR: Sendable, Equatable, CustomStringConvertible {
    public var address: UInt32
    public var prefix: Int

    /// Why a text is not a valid CIDR block, for diagnostics.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case hostBitsSet(String, network: String)

        public var description: String {
            switch self {
            case .malformed(let text): "`\(text)` is not a valid IPv4 CIDR block (expected a.b.c.d/n)"
            case .hostBitsSet(let text, let network): "`\(text)` has host bits set; the network is `\(network)`"
            }
        }
    }

    public init(address: UInt32, prefix: Int) {
        self.address = address
        self.prefix = prefix
    }

    public static func parse(_ text: String) -> Result<CIDR, Problem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let prefix = Int(parts[1]), (0...32).contains(prefix), parts[1].allSatisfy(\.isNumber)
        else { return .failure(.malformed(text)) }
        guard let address = parseAddress(String(parts[0])) else { return .failure(.malformed(text)) }
        let cidr = CIDR(address: address, prefix: prefix)
        guard address & ~cidr.mask == 0 else {
            return .failure(.hostBitsSet(text, network: CIDR(address: address & cidr.mask, prefix: prefix).description))
        }
        return .success(cidr)
    }

    public static func parseAddress(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var address: UInt32 = 0
        for octet in octets {
            guard !octet.isEmpty, octet.count <= 3, octet.allSatisfy(\.isNumber), let value = UInt32(octet),
                value <= 255
            else { return nil }
            address = address << 8 | value
        }
        return address
    }

    public var mask: UInt32 { prefix == 0 ? 0 : UInt32.max << UInt32(32 - prefix) }
    /// The number of addresses in the block.
    public var size: UInt64 { UInt64(1) << UInt64(32 - prefix) }
    public var first: UInt32 { address }
    public var last: UInt32 { address | ~mask }

    public func contains(_ other: CIDR) -> Bool {
        other.prefix >= prefix && other.address & mask == address
    }

    public func overlaps(_ other: CIDR) -> Bool {
        first <= other.last && other.first <= last
    }

    public static func format(_ address: UInt32) -> String {
        "\(address >> 24 & 255).\(address >> 16 & 255).\(address >> 8 & 255).\(address & 255)"
    }

    public var description: String { "\(Self.format(address))/\(prefix)" }

    /// Terraform's `cidrsubnet`: the `number`th block of `prefix + newBits` bits inside this one.
    public func subnet(newBits: Int, number: Int) -> Result<CIDR, Message> {
        guard newBits >= 0, newBits <= 32, prefix + newBits <= 32 else {
            return .failure(Message("cannot add \(newBits) bits to a /\(prefix) prefix (at most /32)"))
        }
        let count = UInt64(1) << UInt64(newBits)
        guard number >= 0, UInt64(number) < count else {
            return .failure(Message("network number \(number) does not fit in \(newBits) bits (0...\(count - 1))"))
        }
        let newPrefix = prefix + newBits
        let shifted = newPrefix == 32 ? UInt64(number) : UInt64(number) << UInt64(32 - newPrefix)
        return .success(CIDR(address: address | UInt32(truncatingIfNeeded: shifted), prefix: newPrefix))
    }

    /// Terraform's `cidrhost`: the `number`th address (negative counts from the end).
    public func host(_ number: Int) -> Result<String, Message> {
        let index = number < 0 ? Int64(size) + Int64(number) : Int64(number)
        guard index >= 0, UInt64(index) < size else {
            return .failure(Message("host number \(number) is outside \(description) (\(size) addresses)"))
        }
        return .success(Self.format(address &+ UInt32(truncatingIfNeeded: index)))
    }
}
