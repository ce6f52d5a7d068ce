/// What AWS accepts for one attribute's value, taken from the service's API model (botocore's
/// `service-2.json`: `min`, `max`, `pattern`) and the service's documentation where the model is
/// silent. Checked at compile time, so a name AWS would refuse stops the stack before any of its
/// siblings exist.
public enum AttributeLimit: Sendable {
    /// A name or other text with a length range and a character set.
    case text(TextLimit)
    /// An IPv4 CIDR block whose prefix length must lie in a range (`/16`–`/28` for VPCs).
    case cidrPrefix(ClosedRange<Int>, what: String)
    /// One of a few words strata itself defines (a node pool's rollout `strategy`).
    case oneOf([String], what: String)

    /// What is wrong with `text`, or nil when AWS accepts it.
    public func problem(_ text: String) -> String? {
        switch self {
        case .text(let limit): return limit.problem(text)
        case .cidrPrefix(let range, let what):
            guard case .success(let block) = CIDR.parse(text), !range.contains(block.prefix) else { return nil }
            return "a \(what) CIDR block must be between /\(range.lowerBound) and /\(range.upperBound), got /\(block.prefix)"
        case .oneOf(let words, let what):
            guard !words.contains(text) else { return nil }
            return "`\(text)` is not one of the \(what): " + words.map { "`\($0)`" }.joined(separator: ", ")
        }
    }
}

/// The shape of a name AWS accepts.
public struct TextLimit: Sendable {
    /// What these names are, for messages: "IAM role names".
    public var what: String
    /// In characters, as AWS counts them (the API models count UTF-16 units; every character
    /// allowed here is ASCII, so the two agree whenever the characters are valid).
    public var length: ClosedRange<Int>
    /// The characters allowed anywhere, written as in a regular-expression class without the
    /// brackets (`A-Za-z0-9_-`: ranges, and `-` last for itself).
    public var characters: String {
        didSet { allowed = Self.expand(characters) }
    }
    /// The same set said for people: "letters, digits, `-` and `_`".
    public var charactersSaid: String
    /// A class the first character must also match, with how to say it.
    public var first: (characters: String, said: String)? {
        didSet { allowedFirst = first.map { Self.expand($0.characters) } }
    }
    /// `characters` and `first` expanded once: a name is checked per character, and a stack
    /// may hold a hundred thousand names.
    private var allowed: Set<Character>
    private var allowedFirst: Set<Character>?
    /// A prefix the whole value must start with (`alias/` for KMS aliases).
    public var requiredPrefix: String?
    /// Prefixes AWS keeps for itself (`sg-`, `alias/aws/`), compared case-insensitively.
    public var reservedPrefixes: [String]
    /// A suffix the whole value must end with (`/` for IAM paths).
    public var requiredSuffix: String?
    /// A suffix allowed beyond the character set (`.fifo` for SQS queues).
    public var allowedSuffix: String?

    public init(
        _ what: String, length: ClosedRange<Int>, characters: String, said charactersSaid: String,
        first: (characters: String, said: String)? = nil, requiredPrefix: String? = nil,
        requiredSuffix: String? = nil, reservedPrefixes: [String] = [], allowedSuffix: String? = nil
    ) {
        self.what = what
        self.length = length
        self.characters = characters
        self.allowed = Self.expand(characters)
        self.allowedFirst = first.map { Self.expand($0.characters) }
        self.charactersSaid = charactersSaid
        self.first = first
        self.requiredPrefix = requiredPrefix
        self.requiredSuffix = requiredSuffix
        self.reservedPrefixes = reservedPrefixes
        self.allowedSuffix = allowedSuffix
    }

    /// What is wrong with `text`, or nil when AWS accepts it.
    public func problem(_ text: String) -> String? {
        let count = text.count
        if count < length.lowerBound {
            return length.lowerBound == 1
                ? "\(what) cannot be empty" : "\(what) must be at least \(length.lowerBound) characters, got \(count)"
        }
        if count > length.upperBound {
            return "\(what) can be at most \(length.upperBound) characters, got \(count)"
        }
        if let requiredPrefix, !text.hasPrefix(requiredPrefix) {
            return "\(what) must start with `\(requiredPrefix)`"
        }
        if let requiredSuffix, !text.hasSuffix(requiredSuffix) {
            return "\(what) must end with `\(requiredSuffix)`"
        }
        if let reserved = reservedPrefixes.first(where: { text.lowercased().hasPrefix($0) }) {
            return "\(what) cannot start with `\(reserved)`, which AWS reserves"
        }
        var body = Substring(text)
        if let allowedSuffix, body.hasSuffix(allowedSuffix) { body = body.dropLast(allowedSuffix.count) }
        if let first, let allowedFirst, let head = body.first, !allowedFirst.contains(head) {
            return "\(what) must start with \(first.said), not `\(head)`"
        }
        if let bad = body.first(where: { !allowed.contains($0) }) {
            let shown =
                if bad == " " {
                    "a space"
                } else if bad.isWhitespace || bad.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
                    bad.unicodeScalars.map { "U+" + String($0.value, radix: 16, uppercase: true) }.joined(separator: " ")
                } else {
                    "`\(bad)`"
                }
            return "\(what) cannot contain \(shown); allowed: \(charactersSaid)"
        }
        return nil
    }

    /// `A-Za-z_-` → its characters; all of them are ASCII.
    private static func expand(_ characterClass: String) -> Set<Character> {
        let scalars = Array(characterClass.unicodeScalars)
        var result = Set<Character>()
        var index = 0
        while index < scalars.count {
            if index + 2 < scalars.count, scalars[index + 1] == "-", scalars[index].value <= scalars[index + 2].value {
                for value in scalars[index].value...scalars[index + 2].value {
                    if let scalar = Unicode.Scalar(value) { result.insert(Character(scalar)) }
                }
                index += 3
            } else {
                result.insert(Character(scalars[index]))
                index += 1
            }
        }
        return result
    }

    /// The limit of a `name_prefix`: the same characters, and room left for the unique suffix
    /// appended to it (26 characters, the Terraform provider's rule; strata's suffixes are shorter).
    public var prefix: TextLimit {
        var copy = self
        copy.what = what.replacingOccurrences(of: "names", with: "name prefixes")
        copy.length = length.lowerBound...max(length.lowerBound, length.upperBound - 26)
        copy.allowedSuffix = nil
        return copy
    }

    /// IAM role, policy and instance profile names (botocore iam `roleNameType`,
    /// `policyNameType`, `instanceProfileNameType`: `[\w+=,.@-]+`, `\w` being ASCII there).
    public static func iamName(_ what: String, _ maximum: Int) -> TextLimit {
        TextLimit(what, length: 1...maximum, characters: "A-Za-z0-9_+=,.@-", said: "letters, digits and `_+=,.@-`")
    }

    /// IAM paths (botocore iam `pathType`: 1-512, `/` or `/` printable ASCII `/`).
    public static let iamPath = TextLimit(
        "IAM paths", length: 1...512, characters: "!-~", said: "printable ASCII without spaces",
        requiredPrefix: "/", requiredSuffix: "/")
}

extension Dictionary where Key == String, Value == AttributeLimit {
    /// `name` and `name_prefix` (or `node_group_name` and `node_group_name_prefix`) under one rule.
    /// `also` adds the type's other limits.
    public static func name(
        _ limit: TextLimit, attribute: String = "name", also: [String: AttributeLimit] = [:]
    ) -> [String: AttributeLimit] {
        also.merging([attribute: .text(limit), attribute + "_prefix": .text(limit.prefix)]) { _, name in name }
    }
}
