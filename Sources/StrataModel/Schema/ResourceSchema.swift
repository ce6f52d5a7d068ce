/// The schema of one resource type: its attributes and the rules the checker, the planner and the
/// providers share. Types and attribute names are the Terraform AWS provider's, so users read them
/// at sight and plans export to Terraform's plan JSON unchanged.
public struct ResourceSchema: Sendable {
    /// `aws_vpc`, `aws_eks_cluster`, `kubernetes_manifest`, ...
    public var type: String
    /// The plane events and output group this resource by.
    public var plane: Plane
    /// Every attribute the type accepts or reports, by name.
    public var attributes: [String: AttributeSchema]
    /// Whether AWS stores tags on it; untaggable types are owned through their parent.
    public var taggable: Bool
    /// One line for `did you mean` notes and docs.
    public var summary: String
    /// Child types AWS keeps inside this resource that the stack may also declare inline, by
    /// child type (`aws_route` → the `route` list of `aws_route_table`). A resource that sets
    /// the inline attribute owns the whole set of such children; one that does not leaves the
    /// children it does not declare as resources of their own alone, as the Terraform provider
    /// does: a route another team added to the table is not the stack's to delete.
    public var inlineChildren: [String: InlineChildren]
    /// What AWS accepts for some attributes' values (name lengths and characters, CIDR sizes),
    /// by attribute name; checked whenever the value is known at compile time.
    public var limits: [String: AttributeLimit]

    public init(
        type: String, plane: Plane, taggable: Bool, summary: String, attributes: [AttributeSchema],
        inlineChildren: [String: InlineChildren] = [:], limits: [String: AttributeLimit] = [:]
    ) {
        self.type = type
        self.plane = plane
        self.taggable = taggable
        self.summary = summary
        self.attributes = Dictionary(uniqueKeysWithValues: attributes.map { ($0.name, $0) })
        self.inlineChildren = inlineChildren
        self.limits = limits
    }
}

/// How a parent declares children of one type inline, and how a child of that type declared as a
/// resource of its own names its parent.
public struct InlineChildren: Sendable, Equatable {
    /// The parent's attribute holding the children (`route`).
    public var attribute: String
    /// The child's attribute referring to the parent (`route_table_id`).
    public var parentReference: String

    public init(attribute: String, parentReference: String) {
        self.attribute = attribute
        self.parentReference = parentReference
    }
}

/// Every resource belongs to one of six planes.
public enum Plane: String, Sendable, CaseIterable, Codable {
    case network, compute, storage, security, observability, control
}

/// One attribute of a resource type, or one field of a nested block.
public struct AttributeSchema: Sendable {
    public var name: String
    public var type: ValueType
    public var presence: Presence
    /// Changing it forces a replacement (Terraform's `ForceNew`).
    public var forcesReplacement: Bool
    /// What AWS fills in when the attribute is omitted, so a plan after apply compares equal.
    public var serverDefault: SchemaDefault?
    /// Holds a secret: never printed in plans, logs or events.
    public var sensitive: Bool

    public init(
        _ name: String, _ type: ValueType, _ presence: Presence,
        forcesReplacement: Bool = false, serverDefault: SchemaDefault? = nil, sensitive: Bool = false
    ) {
        self.name = name
        self.type = type
        self.presence = presence
        self.forcesReplacement = forcesReplacement
        self.serverDefault = serverDefault
        self.sensitive = sensitive
    }
}

/// Who supplies an attribute's value.
public enum Presence: String, Sendable {
    /// The user must set it.
    case required
    /// The user may set it; absent means absent.
    case optional
    /// The user may set it; absent means AWS picks a value (known after apply).
    case optionalComputed
    /// Only AWS sets it (`id`, `arn`, ...): known after apply, an error if the user sets it.
    case computed
}

/// The type of an attribute value, as the checker sees it.
public indirect enum ValueType: Sendable, Equatable, CustomStringConvertible {
    case string
    case int
    case number
    case bool
    /// An IPv4 CIDR block (`10.0.0.0/16`).
    case cidr
    /// A duration (`15m`, `90s`, `1h30m`).
    case duration
    /// A JSON document given as a string or as a YAML map (IAM policies, Kubernetes objects).
    case json
    case list(ValueType)
    case map(ValueType)
    /// A nested block with named fields (`vpc_config`, `scaling_config`, ...).
    case object([String: AttributeSchema])
    /// Anything: used by `kubernetes_manifest`'s `manifest`.
    case any

    public var description: String {
        switch self {
        case .string: "string"
        case .int: "int"
        case .number: "number"
        case .bool: "bool"
        case .cidr: "cidr"
        case .duration: "duration"
        case .json: "json"
        case .list(let element): "list(\(element))"
        case .map(let element): "map(\(element))"
        case .object: "object"
        case .any: "any"
        }
    }

    public static func == (lhs: ValueType, rhs: ValueType) -> Bool {
        switch (lhs, rhs) {
        case (.string, .string), (.int, .int), (.number, .number), (.bool, .bool), (.cidr, .cidr),
            (.duration, .duration), (.json, .json), (.any, .any):
            true
        case (.list(let a), .list(let b)), (.map(let a), .map(let b)): a == b
        case (.object(let a), .object(let b)): a.keys.sorted() == b.keys.sorted()
        default: false
        }
    }
}

/// A server-side default, as a plain literal.
public enum SchemaDefault: Sendable, Equatable {
    case string(String)
    case int(Int)
    case bool(Bool)
    case emptyList
    case emptyMap

    /// The default as a value.
    public var value: Value {
        switch self {
        case .string(let text): .string(text)
        case .int(let number): .int(number)
        case .bool(let flag): .bool(flag)
        case .emptyList: .list([])
        case .emptyMap: .map([:])
        }
    }

    /// The type of ``value``.
    public var valueType: ValueType {
        switch self {
        case .string: .string
        case .int: .int
        case .bool: .bool
        case .emptyList: .list(.any)
        case .emptyMap: .map(.any)
        }
    }
}
