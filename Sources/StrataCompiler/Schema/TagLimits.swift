import StrataModel

/// What AWS accepts as tags, the same for every service strata tags: at most 50 per resource,
/// keys of 1–128 characters, values of at most 256, and the `aws:` prefix kept by AWS (botocore
/// iam `tagKeyType`/`tagValueType`/`tagListType`, eks `TagKey`/`TagValue`/`TagMap`; EC2's tag
/// restrictions page says the same). strata's own `strata:` tags are reserved too: a user's
/// `strata:stack` would be overwritten at create time and break ownership.
enum TagLimits {
    static let maximumCount = 50
    static let keyLength = 1...128
    static let maximumValueLength = 256
    static let reservedPrefixes = ["aws:", "strata:"]

    /// Services whose tag values are only letters, digits, spaces and `_ . : / = + - @`
    /// (botocore iam `tagValueType`, logs `TagValue`): their resources carry the address in
    /// ``ResourceAddress/restrictedTagValue``, and a user's tag value outside it is refused.
    static func restrictsCharacters(of type: String) -> Bool {
        type.hasPrefix("aws_iam_") || type == "aws_cloudwatch_log_group"
    }

    /// The first character of `value` those services refuse, if any: anything but a letter
    /// (`\p{L}`), a separator (`\p{Z}`), a number (`\p{N}`) or one of `_ . : / = + - @`.
    static func refusedCharacter(in value: String) -> Character? {
        let accepted: Set<Unicode.GeneralCategory> = [
            .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
            .spaceSeparator, .lineSeparator, .paragraphSeparator, .decimalNumber, .letterNumber, .otherNumber,
        ]
        return value.first { character in
            !character.unicodeScalars.allSatisfy {
                accepted.contains($0.properties.generalCategory) || "_.:/=+-@".unicodeScalars.contains($0)
            }
        }
    }

    /// The address as a resource of `type` carries it in its `strata:address` tag.
    static func addressTag(_ address: ResourceAddress, type: String) -> String {
        restrictsCharacters(of: type) ? address.restrictedTagValue : address.canonical
    }

    /// What is wrong with one tag a user sets, or nil.
    static func problem(key: String, value: String?) -> String? {
        if !keyLength.contains(key.count) {
            return key.isEmpty
                ? "a tag key cannot be empty"
                : "tag key `\(key.prefix(40))…` is \(key.count) characters; AWS allows at most \(keyLength.upperBound)"
        }
        if let reserved = reservedPrefixes.first(where: { key.lowercased().hasPrefix($0) }) {
            return
                "tag key `\(key)` starts with `\(reserved)`, which is reserved for \(reserved == "aws:" ? "AWS" : "strata's ownership tags")"
        }
        if let value, value.count > maximumValueLength {
            return "the value of tag `\(key)` is \(value.count) characters; AWS allows at most \(maximumValueLength)"
        }
        return nil
    }
}
