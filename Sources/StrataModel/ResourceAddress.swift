import Foundation

/// Where a resource instance lives, as a typed value with one canonical string:
/// `aws_vpc.main`, `module.network.aws_subnet.private["us-east-1a"]`,
/// `module.cluster.aws_eks_node_group.pool[0]`. Used as the key everywhere: graph, plan, tags,
/// events.
public struct ResourceAddress: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The instance key of an expanded block: `[0]` from `count` or a list, `["a"]` from a map.
    public enum Key: Sendable, Hashable, Comparable, Codable {
        case index(Int)
        case name(String)

        public var canonical: String {
            switch self {
            case .index(let index): "[\(index)]"
            case .name(let name): "[" + ResourceAddress.quote(name) + "]"
            }
        }

        public static func < (lhs: Key, rhs: Key) -> Bool {
            switch (lhs, rhs) {
            case (.index(let a), .index(let b)): a < b
            case (.name(let a), .name(let b)): a < b
            case (.index, .name): true
            case (.name, .index): false
            }
        }
    }

    // Read-only once made: `canonical` is computed from them once, so a change would leave it stale.
    /// The module instance, or nil for resources declared in the stack file itself.
    public let module: String?
    public let type: String
    public let name: String
    public let key: Key?

    public init(module: String?, type: String, name: String, key: Key? = nil) {
        self.module = module
        self.type = type
        self.name = name
        self.key = key
        canonical = Self.render(module: module, type: type, name: name, key: key)
    }

    /// The one string form; computed once since addresses are compared and hashed constantly.
    public private(set) var canonical: String

    public var description: String { canonical }

    /// The block this instance was expanded from (the address without its key).
    public var block: ResourceAddress { ResourceAddress(module: module, type: type, name: name) }

    public static func < (lhs: ResourceAddress, rhs: ResourceAddress) -> Bool {
        if lhs.module != rhs.module { return (lhs.module ?? "") < (rhs.module ?? "") }
        if lhs.type != rhs.type { return lhs.type < rhs.type }
        if lhs.name != rhs.name { return lhs.name < rhs.name }
        switch (lhs.key, rhs.key) {
        case (nil, nil): return false
        case (nil, .some): return true
        case (.some, nil): return false
        case (.some(let a), .some(let b)): return a < b
        }
    }

    public static func == (lhs: ResourceAddress, rhs: ResourceAddress) -> Bool { lhs.canonical == rhs.canonical }

    public func hash(into hasher: inout Hasher) { hasher.combine(canonical) }

    private static func render(module: String?, type: String, name: String, key: Key?) -> String {
        var text = module.map { "module.\($0)." } ?? ""
        text += type + "." + name
        if let key { text += key.canonical }
        return text
    }

    public static func quote(_ text: String) -> String {
        var out = "\""
        for character in text {
            if character == "\"" || character == "\\" { out += "\\" }
            out.append(character)
        }
        return out + "\""
    }

    /// The canonical form as a tag value services with a restricted tag alphabet accept (IAM and
    /// CloudWatch Logs: letters, digits, spaces and `_ . : / = + - @`): every other character,
    /// and `=` itself, written `=XX` per UTF-8 byte. `aws_iam_role.irsa["a"]` becomes
    /// `aws_iam_role.irsa=5B=22a=22=5D`; an address without a key is unchanged.
    public var restrictedTagValue: String {
        var text = ""
        for byte in canonical.utf8 {
            if Self.tagSafe.contains(byte) {
                text.unicodeScalars.append(UnicodeScalar(byte))
            } else {
                text += String(format: "=%02X", byte)
            }
        }
        return text
    }

    private static let tagSafe = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.:/+-@".utf8)

    /// Undoes ``restrictedTagValue``; nil when an escape is malformed.
    private static func unescapingTagValue(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "=") else {
                bytes.append(byte)
                continue
            }
            guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Parses a canonical string back, or its ``restrictedTagValue`` (which has no `[`, where
    /// every canonical form with `=` has one); nil when malformed.
    public init?(parsing text: String) {
        if !text.contains("["), text.contains("=") {
            guard let canonical = Self.unescapingTagValue(text), canonical.contains("[") else { return nil }
            self.init(parsing: canonical)
            return
        }
        var rest = Substring(text)
        var module: String?
        if rest.hasPrefix("module.") {
            rest = rest.dropFirst("module.".count)
            guard let dot = rest.firstIndex(of: ".") else { return nil }
            module = String(rest[..<dot])
            rest = rest[rest.index(after: dot)...]
        }
        guard let dot = rest.firstIndex(of: ".") else { return nil }
        let type = String(rest[..<dot])
        rest = rest[rest.index(after: dot)...]
        var key: Key?
        if let bracket = rest.firstIndex(of: "["), rest.hasSuffix("]") {
            let inner = rest[rest.index(after: bracket)..<rest.index(before: rest.endIndex)]
            if inner.hasPrefix("\""), inner.hasSuffix("\""), inner.count >= 2 {
                var name = ""
                var escaped = false
                for character in inner.dropFirst().dropLast() {
                    if escaped || character != "\\" {
                        name.append(character)
                        escaped = false
                    } else {
                        escaped = true
                    }
                }
                key = .name(name)
            } else if let index = Int(inner) {
                key = .index(index)
            } else {
                return nil
            }
            rest = rest[..<bracket]
        }
        guard !type.isEmpty, !rest.isEmpty else { return nil }
        self.init(module: module, type: type, name: String(rest), key: key)
    }

    public enum CodingKeys: CodingKey { case canonical }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = ResourceAddress(parsing: text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "bad address \(text)"))
        }
        self = address
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(canonical)
    }
}
