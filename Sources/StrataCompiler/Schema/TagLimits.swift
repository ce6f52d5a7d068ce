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

    /// What is wrong with one tag a user sets, or nil.
    static func problem(key: String, value: String?) -> String? {
        if !keyLength.contains(key.count) {
            return key.isEmpty ? "a tag key cannot be empty" : "tag key `\(key.prefix(40))…` is \(key.count) characters; AWS allows at most \(keyLength.upperBound)"
        }
        if let reserved = reservedPrefixes.first(where: { key.lowercased().hasPrefix($0) }) {
            return "tag key `\(key)` starts with `\(reserved)`, which is reserved for \(reserved == "aws:" ? "AWS" : "strata's ownership tags")"
        }
        if let value, value.count > maximumValueLength {
            return "the value of tag `\(key)` is \(value.count) characters; AWS allows at most \(maximumValueLength)"
        }
        return nil
    }
}
