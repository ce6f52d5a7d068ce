import StrataModel

// Attributes many resource types share, spelled once so that every type declares `id`, `arn`
// and the tag pair the same way. The per-type files under this folder use these; nothing here
// is a resource type of its own.

extension AttributeSchema {
    /// The provider's identifier for the resource (VPC id, role name, queue URL, ...).
    static let id = AttributeSchema("id", .string, .computed)

    /// The resource's ARN, for types where AWS reports one.
    static let arn = AttributeSchema("arn", .string, .computed)

    /// The AWS account that owns the resource.
    static let ownerID = AttributeSchema("owner_id", .string, .computed)

    /// The user's tags. strata adds `strata:stack` and `strata:address` at create time, but those
    /// live in `tags_all`, so the user's map compares equal after apply.
    static let tags = AttributeSchema("tags", .map(.string), .optional)

    /// The tags AWS actually stores: the stack's default tags, strata's ownership tags and `tags`.
    static let tagsAll = AttributeSchema("tags_all", .map(.string), .computed)

    /// `name` for types where AWS generates a unique name when none is given; changing it
    /// replaces the resource because AWS has no rename call for any of them.
    static let generatedName = AttributeSchema("name", .string, .optionalComputed, forcesReplacement: true)

    /// `name_prefix`: the unique name is generated from this prefix.
    static let namePrefix = AttributeSchema("name_prefix", .string, .optional, forcesReplacement: true)

    /// Shorthand for a plain optional attribute.
    static func optional(_ name: String, _ type: ValueType, forcesReplacement: Bool = false) -> AttributeSchema {
        AttributeSchema(name, type, .optional, forcesReplacement: forcesReplacement)
    }

    /// Shorthand for a plain required attribute.
    static func required(_ name: String, _ type: ValueType, forcesReplacement: Bool = false) -> AttributeSchema {
        AttributeSchema(name, type, .required, forcesReplacement: forcesReplacement)
    }

    /// Shorthand for an attribute only AWS sets.
    static func computed(_ name: String, _ type: ValueType) -> AttributeSchema {
        AttributeSchema(name, type, .computed)
    }

    /// An optional attribute AWS fills with a known value when it is omitted. Declaring the
    /// value is what lets a plan after apply compare equal instead of showing a perpetual diff.
    static func defaulted(
        _ name: String, _ type: ValueType, _ value: SchemaDefault, forcesReplacement: Bool = false
    ) -> AttributeSchema {
        AttributeSchema(name, type, .optional, forcesReplacement: forcesReplacement, serverDefault: value)
    }
}

extension ValueType {
    /// A nested block, built from a field list (the dictionary form repeats every name twice).
    static func block(_ fields: [AttributeSchema]) -> ValueType {
        .object(Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) }))
    }
}
