import Foundation
import StrataModel
import StrataTestSupport
import Testing

@testable import StrataProviders

/// The catalog against something outside itself: the schema the Terraform AWS provider publishes
/// (`terraform providers schema -json`), for the provider version the benchmarks use. Every
/// attribute of every type, nested blocks included, must exist in the provider with the same type
/// and presence, or be one of the reviewed ``deviations``. The catalog is a subset: what the
/// provider has and strata leaves out is counted, not an error.
///
/// How the two sides correspond:
/// - types: strata's `cidr`, `duration` and `json` are strings to Terraform; `int` and `number`
///   are both `number`; a `list` is Terraform's `list` or `set` (strata has no set type); `any`
///   is `dynamic`;
/// - presence: `required` is required; `optional` is optional and not computed; `optionalComputed`
///   is optional and computed; `computed` is computed and not optional. An optional attribute
///   with a server default is also Terraform's optional and computed: the default names the
///   value Terraform leaves to be computed;
/// - nested blocks (Terraform's `block_types`): a block nested `single`, or `list`/`set` with at
///   most one item, is strata's `object`; any other `list`/`set` block is a `list` of objects.
///   A block with at least one item is `required`, any other `optional` or `optionalComputed`
///   (Terraform's JSON cannot mark a block computed); a block is never `computed` (the provider
///   turns computed-only blocks into attributes of object type);
/// - the fields of an attribute of object type (`aws_security_group.ingress`) carry no presence
///   in Terraform's JSON: they are compared by name and type only;
/// - an attribute is sensitive on both sides or on neither, and the catalog uses no attribute the
///   provider has deprecated.
///
/// Runs where terraform and the provider are installed offline (`TF_PLUGIN_DIR`, default
/// /opt/tf-plugins); nothing is downloaded and nothing written into the repository.
@Suite struct CatalogProviderSchemaTests {
    /// What `benchmarks/terraform/prod` pins (`~> 5.100`), as installed offline.
    static let providerVersion = "5.100.0"
    static let providerAddress = "registry.terraform.io/hashicorp/aws"
    static let pluginDirectory = ProcessInfo.processInfo.environment["TF_PLUGIN_DIR"] ?? "/opt/tf-plugins"

    static var terraform: URL? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return paths.map { URL(fileURLWithPath: String($0)).appendingPathComponent("terraform") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static var providerInstalled: Bool {
        terraform != nil
            && FileManager.default.fileExists(atPath: "\(pluginDirectory)/\(providerAddress)/\(providerVersion)")
    }

    /// Catalog types that are not the AWS provider's, and why they are not compared.
    static let notAWSProviderTypes: [String: String] = [
        "kubernetes_manifest": "a type of the hashicorp/kubernetes provider, which is not installed offline"
    ]

    /// One deliberate difference: where, what strata declares, what the provider declares, why.
    /// A path starting with `*.` stands for that attribute of every type that shows the difference.
    struct Deviation: Sendable {
        var path: String
        var strata: String
        var provider: String
        var reason: String

        func matches(_ finding: Finding) -> Bool {
            guard finding.strata == strata && finding.provider == provider else { return false }
            if path.hasPrefix("*.") {
                return finding.path.split(separator: ".", maxSplits: 1).last.map(String.init)
                    == String(path.dropFirst(2))
            }
            return finding.path == path
        }
    }

    /// Every difference between the catalog and the provider that strata means, with its reason:
    /// the one table to review. The test fails on a difference not listed here, and on an entry
    /// that no longer occurs.
    static let deviations: [Deviation] = [
        // Artefacts of the provider's SDKv2 types: the SDK makes every `id` optional and computed,
        // and the provider makes `tags_all` so to merge its default_tags in at plan time; no
        // configuration sets either. Its plugin-framework types (`aws_vpc_security_group_ingress_rule`,
        // `aws_eks_pod_identity_association`) declare both computed, as strata does.
        Deviation(
            path: "*.id", strata: "computed", provider: "optional+computed",
            reason: "the provider's SDK marks `id` optional; it is the resource's identifier, only AWS sets it"),
        Deviation(
            path: "*.tags_all", strata: "computed", provider: "optional+computed",
            reason: "optional in the provider only to merge default_tags; strata computes it from the stack's "
                + "tags and its ownership tags, and a stack cannot set it"),
        // Terraform derives a prefix back from the generated name when it reads the resource; AWS
        // stores no prefix, so there is nothing for strata to report when the stack gives none.
        Deviation(
            path: "*.name_prefix", strata: "optional", provider: "optional+computed",
            reason: "the provider re-derives the prefix from the name on read; AWS stores none"),
        // strata's own block, never sent to AWS (docs/rollouts.md): how a version change rolls.
        Deviation(
            path: "aws_eks_node_group.rollout", strata: "optional object", provider: "nothing of that name",
            reason: "strata's rollout settings (strategy, drain_timeout); Terraform has no rollouts"),
        Deviation(
            path: "aws_eks_node_group.node_group_name_prefix", strata: "optional", provider: "optional+computed",
            reason: "the provider re-derives the prefix from the name on read; EKS stores none"),
        // Attachments strata has no standalone type for: the stack's value is the whole truth.
        Deviation(
            path: "aws_internet_gateway.vpc_id", strata: "optional", provider: "optional+computed",
            reason: "the provider computes it because `aws_internet_gateway_attachment` may attach the gateway; "
                + "strata has no such type, so the attachment is what the stack says"),
        Deviation(
            path: "aws_eip.instance", strata: "optional", provider: "optional+computed",
            reason: "the provider computes it because `aws_eip_association` may associate the address; strata has "
                + "no such type, so an instance association is what the stack says (NAT gateways associate "
                + "through `network_interface`, which strata does compute)"),
        Deviation(
            path: "aws_route.network_interface_id", strata: "optional", provider: "optional+computed",
            reason: "EC2 reports an ENI for routes to an instance (`instance_id`), which strata cannot create: "
                + "every route strata makes has the target the stack names"),
        // The provider types these strings only so that "unset" can be told from false; strata's
        // optional presence says that already, and `encrypted: true` checks as written.
        Deviation(
            path: "aws_launch_template.ebs_optimized", strata: "bool", provider: "string",
            reason: "a string in the provider only to express unset; optional presence says that"),
        Deviation(
            path: "aws_launch_template.block_device_mappings.ebs.encrypted", strata: "bool", provider: "string",
            reason: "a string in the provider only to express unset; optional presence says that"),
        Deviation(
            path: "aws_launch_template.block_device_mappings.ebs.delete_on_termination", strata: "bool",
            provider: "string",
            reason: "a string in the provider only to express unset; optional presence says that"),
        Deviation(
            path: "aws_launch_template.network_interfaces.associate_public_ip_address", strata: "bool",
            provider: "string",
            reason: "a string in the provider only to express unset; optional presence says that"),
        Deviation(
            path: "aws_launch_template.network_interfaces.delete_on_termination", strata: "bool", provider: "string",
            reason: "a string in the provider only to express unset; optional presence says that"),
        // Single-element lists the provider reports as computed attributes, where it has no
        // max_items to say so: plain objects in strata, so a reference reads
        // `cluster.identity.oidc.issuer` rather than `identity[0].oidc[0].issuer`.
        Deviation(
            path: "aws_eks_cluster.certificate_authority", strata: "object", provider: "list(object)",
            reason: "EKS reports exactly one; an object so references read `certificate_authority.data`"),
        Deviation(
            path: "aws_eks_cluster.identity", strata: "object", provider: "list(object)",
            reason: "EKS reports exactly one identity; an object so references read `identity.oidc.issuer`"),
        Deviation(
            path: "aws_eks_cluster.identity.oidc", strata: "object", provider: "list(object)",
            reason: "EKS reports exactly one issuer; an object so references read `identity.oidc.issuer`"),
    ]

    @Test(.enabled(if: providerInstalled, "needs terraform and the AWS provider offline"), .timeLimit(.minutes(10)))
    func everyCatalogAttributeMatchesTheProvidersSchema() async throws {
        let provider = try await Self.providerResourceSchemas()
        var comparison = Comparison()
        for type in ResourceCatalog.all.keys.sorted() {
            guard let schema = ResourceCatalog.all[type] else { continue }
            if let reason = Self.notAWSProviderTypes[type] {
                #expect(
                    provider[type] == nil, "\(type) is listed as another provider's type but the AWS provider has it")
                print("CatalogProviderSchemaTests: skipped \(type): \(reason)")
                continue
            }
            guard let block = provider[type] else {
                Issue.record("\(type): the AWS provider \(Self.providerVersion) has no resource type of that name")
                continue
            }
            comparison.typesCompared += 1
            comparison.compare(schema.attributes, with: block, path: type)
        }

        var explained = 0
        var used = Set<Int>()
        for finding in comparison.findings {
            if let index = Self.deviations.firstIndex(where: { $0.matches(finding) }) {
                explained += 1
                used.insert(index)
            } else {
                Issue.record("\(finding)")
            }
        }
        for (index, deviation) in Self.deviations.enumerated() where !used.contains(index) {
            Issue.record(
                "listed deviation no longer occurs, remove it from the table: \(deviation.path) (strata \(deviation.strata), provider \(deviation.provider))"
            )
        }
        #expect(comparison.typesCompared == ResourceCatalog.all.count - Self.notAWSProviderTypes.count)
        print(
            "CatalogProviderSchemaTests: \(comparison.typesCompared) types, \(comparison.attributesCompared) attributes "
                + "compared (\(comparison.objectFieldsCompared) of them fields of object-typed attributes, by name and "
                + "type only); \(comparison.findings.count) differences, \(explained) of them listed deviations; "
                + "\(comparison.providerOnly.count) provider attributes and blocks the catalog leaves out; the "
                + "provider's schema is in \(Self.schemaFile.path)")
    }

    /// The table itself, checked where terraform is not installed too: every entry names an
    /// attribute the catalog has, and says why.
    @Test func everyDeviationNamesACatalogAttributeAndAReason() {
        var paths = Set<String>()
        var names = Set<String>()
        for schema in ResourceCatalog.all.values {
            ResourceCatalogTests.walk(schema) { path, _, _ in paths.insert(path) }
            names.formUnion(schema.attributes.keys)
        }
        for deviation in Self.deviations {
            if deviation.path.hasPrefix("*.") {
                #expect(names.contains(String(deviation.path.dropFirst(2))), "\(deviation.path) names no attribute")
            } else {
                #expect(paths.contains(deviation.path), "\(deviation.path) names no catalog attribute")
            }
            #expect(!deviation.reason.isEmpty, "\(deviation.path) gives no reason")
        }
        for type in Self.notAWSProviderTypes.keys {
            #expect(ResourceCatalog.all[type] != nil, "\(type) is not in the catalog")
        }
    }

    /// The comparison on a small schema written here, so its rules are checked where terraform
    /// is not installed.
    @Test func theComparisonFindsEachKindOfDifference() throws {
        let json = """
            {"attributes": {
               "id": {"type": "string", "computed": true},
               "name": {"type": "string", "required": true},
               "size": {"type": "number", "optional": true, "computed": true},
               "mode": {"type": "string", "optional": true, "computed": true},
               "flag": {"type": "string", "optional": true},
               "ids": {"type": ["set", "string"], "optional": true},
               "rules": {"type": ["set", ["object", {"port": "number", "cidr": "string"}]], "optional": true},
               "extra": {"type": "string", "optional": true},
               "token": {"type": "string", "optional": true, "sensitive": true},
               "old": {"type": "bool", "optional": true, "deprecated": true}},
             "block_types": {
               "config": {"nesting_mode": "list", "min_items": 1, "max_items": 1,
                 "block": {"attributes": {"subnet": {"type": "string", "required": true}}}},
               "taint": {"nesting_mode": "set", "max_items": 50,
                 "block": {"attributes": {"key": {"type": "string", "required": true}}}}}}
            """
        let block = try ProviderBlock(json: try JSONSerialization.jsonObject(with: Data(json.utf8)))
        let fields: [AttributeSchema] = [
            .id,
            .required("name", .string),
            .optional("size", .int),
            .defaulted("mode", .string, .string("fast")),
            .optional("flag", .bool),
            .optional("ids", .list(.string)),
            .optional(
                "rules", .list(.block([.required("port", .int), .optional("cidr", .cidr), .optional("peer", .string)]))),
            .optional("config", .block([.optional("subnet", .string)])),
            .optional("taint", .block([.required("key", .string)])),
            .optional("missing", .string),
            .optional("token", .string),
            .optional("old", .bool),
        ]
        var comparison = Comparison()
        comparison.compare(Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0) }), with: block, path: "t")
        let found = Set(comparison.findings.map { "\($0.path): \($0.strata) / \($0.provider)" })
        #expect(
            found == [
                "t.size: optional / optional+computed",
                "t.flag: bool / string",
                "t.rules.peer: string / nothing of that name",
                "t.config: optional / block list (min 1, max 1)",
                "t.config.subnet: optional / required",
                "t.taint: object / block set (max 50)",
                "t.missing: optional string / nothing of that name",
                "t.token: not sensitive / sensitive",
                "t.old: the attribute / it deprecated",
            ])
        #expect(comparison.attributesCompared == 17)
        #expect(comparison.objectFieldsCompared == 3)
        #expect(comparison.providerOnly == ["t.extra"])
    }

    // MARK: - The provider's schema

    /// Where the last run left the provider's schema.
    static let schemaFile = FileManager.default.temporaryDirectory
        .appendingPathComponent("strata-terraform-aws-\(providerVersion)-schema.json")

    /// `terraform providers schema -json` for the pinned provider, initialised from the plugin
    /// directory in a scratch directory; the resource types' blocks by type name.
    static func providerResourceSchemas() async throws -> [String: ProviderBlock] {
        let terraform = try #require(Self.terraform)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("strata-provider-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let configuration = """
            terraform {
              required_providers {
                aws = { source = "hashicorp/aws", version = "\(providerVersion)" }
              }
            }

            """
        try configuration.write(to: scratch.appendingPathComponent("main.tf"), atomically: true, encoding: .utf8)
        let environment = [
            "TF_DATA_DIR": scratch.appendingPathComponent("tf-data").path, "TF_CLI_CONFIG_FILE": "/dev/null",
            "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1",
        ]
        let initialised = try await offPool {
            try ChildProcess.run(
                terraform, ["init", "-input=false", "-no-color", "-plugin-dir", pluginDirectory],
                environment: environment, in: scratch, timeout: .seconds(300))
        }
        try #require(
            initialised.status == 0,
            "terraform init failed: \(String(decoding: initialised.stderr + initialised.stdout, as: UTF8.self).suffix(3000))"
        )
        let shown = try await offPool {
            try ChildProcess.run(
                terraform, ["providers", "schema", "-json"], environment: environment, in: scratch,
                timeout: .seconds(300))
        }
        try #require(
            shown.status == 0,
            "terraform providers schema failed: \(String(decoding: shown.stderr, as: UTF8.self).suffix(3000))")
        // About 14 MB. Kept outside the scratch directory, overwritten by the next run, so that whoever
        // reads a failure can look the provider's side up (`jq '.provider_schemas[].resource_schemas.aws_vpc'`).
        try shown.stdout.write(to: schemaFile, options: .atomic)
        let document = try JSONSerialization.jsonObject(with: try Data(contentsOf: schemaFile))
        let schemas = (document as? [String: Any])?["provider_schemas"] as? [String: Any]
        let aws = try #require(schemas?[providerAddress] as? [String: Any], "no \(providerAddress) in the schema")
        let resources = try #require(aws["resource_schemas"] as? [String: Any], "no resource_schemas")
        var out: [String: ProviderBlock] = [:]
        for type in ResourceCatalog.all.keys {
            guard let resource = resources[type] as? [String: Any], let block = resource["block"] else { continue }
            out[type] = try ProviderBlock(json: block)
        }
        return out
    }

    /// Runs blocking work (a child process) on a thread of its own, off the two-thread pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Swift.Result { try work() }) }
        }
    }
}

// MARK: - Terraform's schema JSON

/// A block of Terraform's schema JSON: its `attributes` and its nested `block_types`.
struct ProviderBlock {
    var attributes: [String: ProviderAttribute]
    var blocks: [String: ProviderNestedBlock]

    struct Malformed: Error, CustomStringConvertible {
        var description: String
    }

    init(json: Any) throws {
        guard let object = json as? [String: Any] else { throw Malformed(description: "a block is not an object") }
        attributes = [:]
        for (name, value) in object["attributes"] as? [String: Any] ?? [:] {
            guard let attribute = value as? [String: Any] else { throw Malformed(description: "attribute \(name)") }
            // Attributes with `nested_type` (the plugin framework's nested attributes) carry no
            // `type`; the catalog's types use none, and one would show as a type difference.
            let type = try attribute["type"].map { try ProviderType(json: $0) } ?? .nestedAttributes
            attributes[name] = ProviderAttribute(
                type: type, required: attribute["required"] as? Bool ?? false,
                optional: attribute["optional"] as? Bool ?? false, computed: attribute["computed"] as? Bool ?? false,
                sensitive: attribute["sensitive"] as? Bool ?? false,
                deprecated: attribute["deprecated"] as? Bool ?? false)
        }
        blocks = [:]
        for (name, value) in object["block_types"] as? [String: Any] ?? [:] {
            guard let nested = value as? [String: Any], let mode = nested["nesting_mode"] as? String,
                let block = nested["block"]
            else { throw Malformed(description: "block \(name)") }
            blocks[name] = ProviderNestedBlock(
                nesting: mode, minItems: nested["min_items"] as? Int ?? 0, maxItems: nested["max_items"] as? Int ?? 0,
                block: try ProviderBlock(json: block))
        }
    }
}

struct ProviderAttribute {
    var type: ProviderType
    var required: Bool
    var optional: Bool
    var computed: Bool
    var sensitive: Bool
    var deprecated: Bool

    var presence: String {
        if required { return "required" }
        if optional { return computed ? "optional+computed" : "optional" }
        return computed ? "computed" : "neither required, optional nor computed"
    }
}

struct ProviderNestedBlock {
    /// `single`, `group`, `list`, `set` or `map`.
    var nesting: String
    var minItems: Int
    /// 0 when unbounded.
    var maxItems: Int
    var block: ProviderBlock

    /// One object rather than a collection of them.
    var isSingle: Bool {
        nesting == "single" || nesting == "group" || ((nesting == "list" || nesting == "set") && maxItems == 1)
    }

    var description: String {
        let bounds = [minItems > 0 ? "min \(minItems)" : nil, maxItems > 0 ? "max \(maxItems)" : nil].compactMap { $0 }
        return "block \(nesting)" + (bounds.isEmpty ? "" : " (\(bounds.joined(separator: ", ")))")
    }
}

/// A Terraform type expression: `"string"`, `["list", "string"]`, `["object", {...}]`, ...
indirect enum ProviderType: CustomStringConvertible {
    case string, number, bool, dynamic
    case list(ProviderType), set(ProviderType), map(ProviderType)
    case object([String: ProviderType])
    case tuple([ProviderType])
    case nestedAttributes

    init(json: Any) throws {
        if let name = json as? String {
            switch name {
            case "string": self = .string
            case "number": self = .number
            case "bool": self = .bool
            case "dynamic": self = .dynamic
            default: throw ProviderBlock.Malformed(description: "type \(name)")
            }
            return
        }
        guard let pair = json as? [Any], pair.count == 2, let kind = pair[0] as? String else {
            throw ProviderBlock.Malformed(description: "type \(json)")
        }
        switch kind {
        case "list": self = .list(try ProviderType(json: pair[1]))
        case "set": self = .set(try ProviderType(json: pair[1]))
        case "map": self = .map(try ProviderType(json: pair[1]))
        case "object":
            guard let fields = pair[1] as? [String: Any] else {
                throw ProviderBlock.Malformed(description: "object type")
            }
            self = .object(try fields.mapValues { try ProviderType(json: $0) })
        case "tuple":
            guard let items = pair[1] as? [Any] else { throw ProviderBlock.Malformed(description: "tuple type") }
            self = .tuple(try items.map { try ProviderType(json: $0) })
        default: throw ProviderBlock.Malformed(description: "type \(kind)")
        }
    }

    var description: String {
        switch self {
        case .string: "string"
        case .number: "number"
        case .bool: "bool"
        case .dynamic: "dynamic"
        case .list(let element): "list(\(element))"
        case .set(let element): "set(\(element))"
        case .map(let element): "map(\(element))"
        case .object: "object"
        case .tuple: "tuple"
        case .nestedAttributes: "nested attributes"
        }
    }
}

// MARK: - The comparison

/// One difference between a catalog attribute and the provider's.
struct Finding: Hashable, CustomStringConvertible {
    /// `type.attribute`, with nested fields dotted on (`aws_eks_cluster.vpc_config.subnet_ids`).
    var path: String
    var strata: String
    var provider: String

    var description: String { "\(path): strata has \(strata), the AWS provider has \(provider)" }
}

/// Walks the catalog's attributes beside the provider's, collecting differences and counts.
struct Comparison {
    var findings: [Finding] = []
    var typesCompared = 0
    /// Every catalog attribute looked up, nested block fields and object fields included.
    var attributesCompared = 0
    /// Of those, fields of an attribute of object type (no presence in Terraform's JSON).
    var objectFieldsCompared = 0
    /// What the provider has where strata compared and the catalog does not.
    var providerOnly: [String] = []

    mutating func compare(_ fields: [String: AttributeSchema], with block: ProviderBlock, path: String) {
        for (name, attribute) in fields.sorted(by: { $0.key < $1.key }) {
            attributesCompared += 1
            let here = "\(path).\(name)"
            if let theirs = block.attributes[name] {
                compare(attribute, with: theirs, path: here)
            } else if let theirs = block.blocks[name] {
                compare(attribute, with: theirs, path: here)
            } else {
                findings.append(
                    Finding(
                        path: here, strata: "\(attribute.presence.rawValue) \(attribute.type)",
                        provider: "nothing of that name"))
            }
        }
        providerOnly += Set(block.attributes.keys).union(block.blocks.keys).subtracting(fields.keys).sorted().map {
            "\(path).\($0)"
        }
    }

    /// An attribute the provider declares as an attribute.
    mutating func compare(_ attribute: AttributeSchema, with theirs: ProviderAttribute, path: String) {
        if !Self.presenceCorresponds(attribute, theirs) {
            findings.append(Finding(path: path, strata: attribute.presence.rawValue, provider: theirs.presence))
        }
        if attribute.sensitive != theirs.sensitive {
            findings.append(
                Finding(
                    path: path, strata: attribute.sensitive ? "sensitive" : "not sensitive",
                    provider: theirs.sensitive ? "sensitive" : "not sensitive"))
        }
        if theirs.deprecated {
            findings.append(Finding(path: path, strata: "the attribute", provider: "it deprecated"))
        }
        compare(attribute.type, with: theirs.type, path: path)
    }

    /// An attribute the provider declares as a nested block.
    mutating func compare(_ attribute: AttributeSchema, with theirs: ProviderNestedBlock, path: String) {
        let fields: [String: AttributeSchema]?
        switch attribute.type {
        case .object(let nested) where theirs.isSingle: fields = nested
        case .list(.object(let nested)) where !theirs.isSingle && theirs.nesting != "map": fields = nested
        case .object(let nested), .list(.object(let nested)):
            findings.append(Finding(path: path, strata: "\(attribute.type)", provider: theirs.description))
            fields = nested
        default:
            findings.append(Finding(path: path, strata: "\(attribute.type)", provider: theirs.description))
            fields = nil
        }
        let presenceCorresponds =
            switch attribute.presence {
            case .required: theirs.minItems > 0
            case .optional, .optionalComputed: theirs.minItems == 0
            case .computed: false
            }
        if !presenceCorresponds {
            findings.append(Finding(path: path, strata: attribute.presence.rawValue, provider: theirs.description))
        }
        if let fields { compare(fields, with: theirs.block, path: path) }
    }

    /// Types, recursively; the fields of object types by name.
    mutating func compare(_ ours: ValueType, with theirs: ProviderType, path: String) {
        switch (ours, theirs) {
        case (.string, .string), (.cidr, .string), (.duration, .string), (.json, .string),
            (.int, .number), (.number, .number), (.bool, .bool), (.any, .dynamic):
            return
        case (.list(let element), .list(let other)), (.list(let element), .set(let other)),
            (.map(let element), .map(let other)):
            if Self.sameShape(element, other) {
                compare(element, with: other, path: path)
            } else {
                findings.append(Finding(path: path, strata: "\(ours)", provider: "\(theirs)"))
            }
        case (.object(let fields), .object(let other)):
            for (name, field) in fields.sorted(by: { $0.key < $1.key }) {
                attributesCompared += 1
                objectFieldsCompared += 1
                if let type = other[name] {
                    compare(field.type, with: type, path: "\(path).\(name)")
                } else {
                    findings.append(
                        Finding(path: "\(path).\(name)", strata: "\(field.type)", provider: "nothing of that name"))
                }
            }
            providerOnly += Set(other.keys).subtracting(fields.keys).sorted().map { "\(path).\($0)" }
        case (.object, .list(let element)), (.object, .set(let element)):
            // A single object where the provider has a collection of them: said once, and the
            // fields still compared.
            findings.append(Finding(path: path, strata: "\(ours)", provider: "\(theirs)"))
            if case .object = element { compare(ours, with: element, path: path) }
        default:
            findings.append(Finding(path: path, strata: "\(ours)", provider: "\(theirs)"))
        }
    }

    /// Whether two element types are of one kind, so a difference inside them is reported at the
    /// innermost path rather than as the whole collection.
    static func sameShape(_ ours: ValueType, _ theirs: ProviderType) -> Bool {
        switch (ours, theirs) {
        case (.object, .object): true
        case (.list(let a), .list(let b)), (.list(let a), .set(let b)), (.map(let a), .map(let b)): sameShape(a, b)
        case (.string, .string), (.cidr, .string), (.duration, .string), (.json, .string), (.int, .number),
            (.number, .number), (.bool, .bool), (.any, .dynamic):
            true
        default: false
        }
    }

    static func presenceCorresponds(_ attribute: AttributeSchema, _ theirs: ProviderAttribute) -> Bool {
        switch attribute.presence {
        case .required: theirs.required
        case .optional: theirs.optional && (!theirs.computed || attribute.serverDefault != nil)
        case .optionalComputed: theirs.optional && theirs.computed
        case .computed: theirs.computed && !theirs.optional
        }
    }
}
