import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders

/// A plan in Terraform's machine-readable plan format (`terraform show -json`, format_version
/// 1.2), so policy tools that read Terraform plans (Checkov's `terraform_plan` framework,
/// OPA/conftest) read strata's and find what they find on the equivalent Terraform plan.
/// Resource types and attribute names are already the AWS provider's; the shapes are checked
/// against Terraform 1.11 with the AWS provider 5.100 (docs/plans.md): nested blocks are lists
/// of objects (`vpc_config: [{...}]`), every attribute of the type is named (unset optional ones
/// `null`, their default or `[]`; computed ones unknown on a create), unknown values are left out
/// and marked in `after_unknown`, a `json` document or a set with an unknown part is wholly
/// unknown.
///
/// `configuration` carries literals as `constant_value` and expressions as the `references`
/// the compiler recorded for each (``ResourceChange/references``), named as Terraform names them.
public struct TerraformPlanJSON: Sendable {
    /// The Terraform release whose format this mirrors.
    public static let terraformVersion = "1.11.4"
    public static let providerName = "registry.terraform.io/hashicorp/aws"

    /// The provider Terraform would use for a type: `kubernetes_*` types are the kubernetes
    /// provider's, everything else the AWS provider's.
    static func provider(of type: String) -> (name: String, key: String) {
        type.hasPrefix("kubernetes_") ? ("registry.terraform.io/hashicorp/kubernetes", "kubernetes") : (providerName, "aws")
    }

    public var catalog: [String: ResourceSchema]
    public var strataVersion: String

    public init(strataVersion: String, catalog: [String: ResourceSchema] = ResourceCatalog.all) {
        self.strataVersion = strataVersion
        self.catalog = catalog
    }

    public func document(_ plan: Plan) -> JSONValue {
        let timestamp = ISO8601DateFormatter().string(from: plan.createdAt)
        var variables: [String: JSONValue] = [:]
        // Terraform writes secrets in clear and marks them; strata marks them and leaves them out
        // (a sensitive variable's value is null), so the document can go to any tool or log.
        for (name, value) in plan.vars {
            variables[name] =
                plan.sensitiveVars.contains(name)
                ? .object(["value": .null, "sensitive": .bool(true)]) : .object(["value": .string(value)])
        }
        var outputs: [String: JSONValue] = [:]
        var outputChanges: [String: JSONValue] = [:]
        for (name, value) in plan.outputs {
            let sensitive = plan.sensitiveOutputs.contains(name)
            let after = sensitive ? nil : known(value)
            outputs[name] = .object(after.map { ["sensitive": .bool(sensitive), "value": $0] } ?? ["sensitive": .bool(sensitive)])
            outputChanges[name] = .object([
                "actions": .array([.string("create")]), "before": .null, "after": after ?? .null,
                "after_unknown": .bool(!value.isKnown), "before_sensitive": .bool(false), "after_sensitive": .bool(sensitive),
            ])
        }
        let planned = plan.changes.filter { $0.action != .delete }
        let prior = plan.changes.filter { $0.live != nil }
        return .object([
            "format_version": .string("1.2"),
            "terraform_version": .string(Self.terraformVersion),
            "strata_version": .string(strataVersion),
            "timestamp": .string(timestamp),
            "applyable": .bool(plan.hasChanges),
            "complete": .bool(true),
            "errored": .bool(false),
            "variables": .object(variables),
            "planned_values": .object([
                "outputs": .object(outputs),
                "root_module": moduleTree(planned) { self.resourceValues($0, values: $0.after ?? [:], fill: self.fill(for: $0)) },
            ]),
            "resource_changes": .array(plan.changes.map(resourceChange)),
            "output_changes": .object(outputChanges),
            "prior_state": .object([
                "format_version": .string("1.0"),
                "terraform_version": .string(Self.terraformVersion),
                "values": .object([
                    "outputs": .object([:]),
                    "root_module": withDataSources(
                        moduleTree(prior) { self.resourceValues($0, values: $0.before ?? [:], fill: .state) }, plan),
                ]),
            ]),
            "configuration": configuration(plan),
            // Terraform's format has no place for a rollout: strata's own key, which Terraform's
            // readers ignore (docs/rollouts.md, "In plan JSON").
            "strata_rollouts": Self.rollouts(plan.rollouts),
        ])
    }

    /// The rollouts as `RolloutPlan` encodes them, keys in snake_case like the rest of the
    /// document, plus each rollout's hops and total estimate.
    public static func rollouts(_ rollouts: [RolloutPlan]) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return .array(
            rollouts.map { rollout in
                guard let data = try? encoder.encode(rollout), case .object(var object) = try? JSONValue.parse(data) else { return .null }
                object["hops"] = .array(rollout.hops.map(JSONValue.string))
                object["estimate_seconds"] = .int(rollout.estimateSeconds)
                object["blocked"] = .bool(rollout.isBlocked)
                return .object(object)
            })
    }

    // MARK: - Resources

    func resourceChange(_ change: ResourceChange) -> JSONValue {
        var object = identification(change.address)
        if let module = change.address.module { object["module_address"] = .string("module.\(module)") }
        let schema = catalog[change.type]
        let before = change.before.map {
            Self.removing(
                change.sensitiveAttributes, from: providerTyped(rendered($0, schema: schema, fill: .state).values, type: change.type))
        }
        var after: JSONValue = .null
        var afterUnknown: JSONValue = .object([:])
        var afterSensitive: JSONValue = .bool(false)
        if let values = change.after {
            let planned = rendered(values, schema: schema, fill: fill(for: change))
            after = Self.removing(change.sensitiveAttributes, from: providerTyped(planned.values, type: change.type))
            afterUnknown = planned.unknown
            afterSensitive = sensitivity(after, unknown: afterUnknown, change)
        }
        var change_: [String: JSONValue] = [
            "actions": .array(change.action.terraformActions(createBeforeDestroy: change.createBeforeDestroy).map(JSONValue.string)),
            "before": before ?? .null,
            "after": after,
            "after_unknown": afterUnknown,
            "before_sensitive": before.map { sensitivity($0, unknown: .object([:]), change) } ?? .bool(false),
            "after_sensitive": afterSensitive,
        ]
        if change.action == .replace {
            change_["replace_paths"] = .array(
                change.replaceBecause.map { path in
                    .array(path.split(separator: ".").map { JSONValue.string(String($0)) })
                })
            object["action_reason"] = .string("replace_because_cannot_update")
        }
        if change.action == .delete {
            object["action_reason"] = .string("delete_because_no_resource_config")
        }
        object["change"] = .object(change_)
        return .object(object)
    }

    /// Optional attributes the AWS provider computes when unset (from `name`), so a create
    /// marks them unknown rather than null.
    static let providerComputed: Set<String> = ["name_prefix", "node_group_name_prefix"]

    /// Fields the AWS provider types as strings though they hold booleans (its way to tell
    /// "unset" from `false`); strata's schema keeps them bools, the JSON writes `"true"` as
    /// Terraform does, so a policy comparing with Terraform's values matches. Paths pass
    /// through block lists.
    static let providerStrings: [String: [[String]]] = [
        "aws_launch_template": [
            ["ebs_optimized"], ["block_device_mappings", "ebs", "encrypted"],
            ["block_device_mappings", "ebs", "delete_on_termination"],
        ]
    ]

    /// `values` with the type's ``providerStrings`` fields as strings.
    func providerTyped(_ values: JSONValue, type: String) -> JSONValue {
        guard let paths = Self.providerStrings[type] else { return values }
        return paths.reduce(values) { stringified($0, path: $1[...]) }
    }

    private func stringified(_ value: JSONValue, path: ArraySlice<String>) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map { stringified($0, path: path) })
        case .object(var members):
            guard let name = path.first, let member = members[name] else { return value }
            members[name] = stringified(member, path: path.dropFirst())
            return .object(members)
        case .bool(let flag) where path.isEmpty: return .string(flag ? "true" : "false")
        default: return value
        }
    }

    /// How the attributes the stack left unset are written on the planned side of a change.
    private func fill(for change: ResourceChange) -> Fill {
        switch change.action {
        case .create, .replace: .create
        case .update, .noop: .update(before: change.before ?? [:])
        case .delete: .none
        }
    }

    private func identification(_ address: ResourceAddress) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "address": .string(address.canonical), "mode": .string("managed"), "type": .string(address.type),
            "name": .string(address.name), "provider_name": .string(Self.provider(of: address.type).name),
        ]
        switch address.key {
        case .index(let index)?: object["index"] = .int(index)
        case .name(let name)?: object["index"] = .string(name)
        case nil: break
        }
        return object
    }

    private func resourceValues(_ change: ResourceChange, values: [String: Value], fill: Fill) -> JSONValue {
        var object = identification(change.address)
        object["schema_version"] = .int(0)
        let planned = rendered(values, schema: catalog[change.type], fill: fill)
        let written = Self.removing(change.sensitiveAttributes, from: providerTyped(planned.values, type: change.type))
        object["values"] = written
        object["sensitive_values"] = sensitivity(written, unknown: planned.unknown, change)
        return .object(object)
    }

    /// Resources grouped into Terraform's module tree: root resources, then one child module per
    /// module address.
    private func moduleTree(_ changes: [ResourceChange], _ render: (ResourceChange) -> JSONValue) -> JSONValue {
        var root: [JSONValue] = []
        var children: [String: [JSONValue]] = [:]
        for change in changes {
            if let module = change.address.module {
                children["module.\(module)", default: []].append(render(change))
            } else {
                root.append(render(change))
            }
        }
        var object: [String: JSONValue] = ["resources": .array(root)]
        if !children.isEmpty {
            object["child_modules"] = .array(
                children.keys.sorted().map { address in
                    .object(["address": .string(address), "resources": .array(children[address] ?? [])])
                })
        }
        return .object(object)
    }

    /// The plan's read-only facts as the data resources Terraform would have read
    /// (`data.aws_caller_identity.current`, `data.aws_availability_zones.available`, one
    /// `data.aws_ssm_parameter` per EKS AMI release), in the prior state's root module.
    private func withDataSources(_ module: JSONValue, _ plan: Plan) -> JSONValue {
        guard case .object(var object) = module else { return module }
        var resources = object["resources"]?.arrayValue ?? []
        func data(_ type: String, _ name: String, _ values: [String: JSONValue]) -> JSONValue {
            .object([
                "address": .string("data.\(type).\(name)"), "mode": .string("data"), "type": .string(type),
                "name": .string(name), "provider_name": .string(Self.providerName), "schema_version": .int(0),
                "values": .object(values), "sensitive_values": .object([:]),
            ])
        }
        let facts = plan.dataSources
        if let account = facts.accountID {
            resources.append(
                data(
                    "aws_caller_identity", "current",
                    [
                        "account_id": .string(account), "arn": facts.callerArn.map(JSONValue.string) ?? .null,
                        "id": .string(account),
                    ]))
        }
        if !facts.availabilityZones.isEmpty {
            resources.append(
                data(
                    "aws_availability_zones", "available",
                    [
                        "id": .string(plan.region), "state": .string("available"),
                        "names": .array(facts.availabilityZones.map(JSONValue.string)),
                    ]))
        }
        for version in facts.eksAMIReleaseVersions.keys.sorted() {
            let name = Discovery.amiReleaseParameter(version: version)
            resources.append(
                data(
                    "aws_ssm_parameter", "eks_ami_release_\(version.replacingOccurrences(of: ".", with: "_"))",
                    [
                        "id": .string(name), "name": .string(name), "type": .string("String"),
                        "value": .string(facts.eksAMIReleaseVersions[version] ?? ""),
                    ]))
        }
        object["resources"] = .array(resources)
        return .object(object)
    }

    // MARK: - Values

    /// What a planned side of a change holds for attributes the stack did not set. Terraform's
    /// `after` names every attribute of the type: unset optional ones are `null` (or the
    /// provider's default, or `[]` for a block), computed ones are unknown on a create and keep
    /// their state value on an update.
    enum Fill {
        /// Only what is there.
        case none
        /// A live resource (`before`, the prior state): unset optional attributes named too.
        case state
        /// A create: AWS computes what nobody set.
        case create
        /// An update or no-op: AWS already computed it; the live value stays.
        case update(before: [String: Value])
    }

    /// One side of a change as Terraform writes it: `values` with unknowns left out, and the
    /// matching `after_unknown` marks (`true` where unknown, `false` for a known list element,
    /// `[{...}]` for a block, `{}` for a map).
    func rendered(_ values: [String: Value], schema: ResourceSchema?, fill: Fill) -> (values: JSONValue, unknown: JSONValue) {
        let (out, marks) = renderedObject(values, fields: schema?.attributes, fill: fill)
        return (.object(out), .object(marks))
    }

    /// The fill of a nested block: on an update, the live block at the same place.
    private func nested(_ fill: Fill, _ name: String, index: Int? = nil) -> Fill {
        guard case .update(let before) = fill else { return fill }
        var live = before[name]
        // A live block may be read as the object or as Terraform's list of one.
        if case .list(let items)? = live {
            let position = index ?? 0
            live = position < items.count ? items[position] : nil
        } else if index != nil {
            live = nil
        }
        if case .map(let members)? = live { return .update(before: members) }
        return .update(before: [:])
    }

    /// Lists of blocks the AWS provider declares as attributes of object type rather than as
    /// nested blocks (its `ConfigModeAttr`): Terraform writes every field of their elements, an
    /// unset one as its type's zero value (`""`, `[]`, `false`), where a nested block's unset
    /// field is `null`. A policy reading `ipv6_cidr_blocks` of an inline rule finds `[]`.
    static let attributeBlocks: Set<String> = ["route", "ingress", "egress"]

    /// The fields of a resource or of one nested block (`zeroFilled`: of an ``attributeBlocks``
    /// element).
    private func renderedObject(
        _ members: [String: Value], fields: [String: AttributeSchema]?, fill: Fill, zeroFilled: Bool = false
    ) -> (values: [String: JSONValue], unknown: [String: JSONValue]) {
        var out: [String: JSONValue] = [:]
        var marks: [String: JSONValue] = [:]
        for (name, member) in members where member != .null || !zeroFilled {
            let converted = rendered(member, type: fields?[name]?.type, name: name, fill: fill)
            if let value = converted.value { out[name] = value }
            if let mark = converted.unknown { marks[name] = mark }
        }
        if case .none = fill { return (out, marks) }
        if zeroFilled {
            for (name, field) in fields ?? [:] where out[name] == nil && marks[name] == nil {
                out[name] = Self.zero(field.type)
                if case .list = field.type { marks[name] = .array([]) }
            }
            return (out, marks)
        }
        for (name, attribute) in fields ?? [:] where members[name] == nil {
            switch attribute.presence {
            case .computed, .optionalComputed:
                switch fill {
                case .create: marks[name] = .bool(true)
                case .update(let before):
                    // AWS computed it already: the live value stays, as in Terraform's state.
                    if let live = before[name], let converted = rendered(live, type: attribute.type, name: name).value {
                        out[name] = converted
                    }
                case .none, .state: break
                }
            case .optional where Self.providerComputed.contains(name):
                if case .create = fill { marks[name] = .bool(true) }
            case .optional, .required:
                out[name] = unsetValue(attribute)
                if attribute.type.isBlock { marks[name] = .array([]) }
            }
        }
        return (out, marks)
    }

    /// One value as Terraform writes it (nil when wholly unknown) and its `after_unknown` mark
    /// (nil when there is nothing to mark in an object: a known scalar).
    ///
    /// Wholly unknown, as in Terraform, when any part is unknown: a `json` attribute (the
    /// document is one string, `jsonencode` of an unknown is unknown) and a set of values
    /// (`subnet_ids`: Terraform cannot place an unknown element in a set). A set of blocks keeps
    /// its known fields, each unknown one marked in its element.
    func rendered(_ value: Value, type: ValueType?, name: String, fill: Fill = .none) -> (value: JSONValue?, unknown: JSONValue?) {
        if case .unknown = value { return (nil, .bool(true)) }
        if !value.isKnown, type == .json || (Normalisation.setAttributes.contains(name) && type?.isBlock != true) {
            return (nil, .bool(true))
        }
        switch (type, value) {
        case (.object(let fields)?, .map(let members)):
            let block = renderedObject(members, fields: fields, fill: nested(fill, name))
            return (.array([.object(block.values)]), .array([.object(block.unknown)]))
        case (.list(.object(let fields))?, .list(let items)):
            var blocks: [JSONValue] = [], marks: [JSONValue] = []
            for (index, item) in items.enumerated() {
                if case .map(let members) = item {
                    let block = renderedObject(
                        members, fields: fields, fill: nested(fill, name, index: index), zeroFilled: Self.attributeBlocks.contains(name))
                    blocks.append(.object(block.values))
                    marks.append(.object(block.unknown))
                } else {
                    let converted = rendered(item, type: nil, name: name)
                    blocks.append(converted.value ?? .null)
                    marks.append(converted.unknown ?? .bool(false))
                }
            }
            return (.array(blocks), .array(marks))
        case (.json?, .map), (.json?, .list):
            return (known(value).map { .string(String(decoding: $0.encoded(), as: UTF8.self)) }, nil)
        case (_, .list(let items)):
            let element: ValueType? = if case .list(let element)? = type { element } else { nil }
            let converted = items.map { rendered($0, type: element, name: name) }
            return (.array(converted.map { $0.value ?? .null }), .array(converted.map { $0.unknown ?? .bool(false) }))
        case (_, .map(let members)):
            let element: ValueType? = if case .map(let element)? = type { element } else { nil }
            var out: [String: JSONValue] = [:], marks: [String: JSONValue] = [:]
            for (key, member) in members {
                let converted = rendered(member, type: element, name: key)
                out[key] = converted.value ?? .null
                if let mark = converted.unknown { marks[key] = mark }
            }
            return (.object(out), .object(marks))
        default:
            return (known(value), nil)
        }
    }

    /// A type's zero value, as Terraform's SDK writes an unset field of an ``attributeBlocks``
    /// element.
    static func zero(_ type: ValueType) -> JSONValue {
        switch type {
        case .int, .number: .int(0)
        case .bool: .bool(false)
        case .list: .array([])
        case .map, .object: .object([:])
        case .any: .null
        case .string, .cidr, .duration, .json: .string("")
        }
    }

    /// What Terraform writes for an optional attribute nobody set: the default AWS (and the
    /// provider) apply, `[]` for a block, otherwise `null`.
    private func unsetValue(_ attribute: AttributeSchema) -> JSONValue {
        switch attribute.serverDefault {
        case .string(let text)?: return .string(text)
        case .int(let number)?: return .int(number)
        case .bool(let flag)?: return .bool(flag)
        case .emptyList?: return .array([])
        case .emptyMap?: return .object([:])
        case nil: return attribute.type.isBlock ? .array([]) : .null
        }
    }

    /// The sensitivity marks of written values, in Terraform's shape: `true` at a sensitive
    /// path; otherwise every collection mirrored (a list's elements `false`, a block's
    /// fields again, a map `{}`), a collection known only after apply as an empty one, and
    /// scalars left out.
    private func sensitivity(_ values: JSONValue, unknown: JSONValue, _ change: ResourceChange) -> JSONValue {
        guard case .object(let members) = values else { return .object([:]) }
        let out = Self.collectionShape(members, unknown: unknown, fields: catalog[change.type]?.attributes)
        return change.sensitiveAttributes.reduce(.object(out)) { Self.marking($1.split(separator: ".")[...], in: $0) }
    }

    /// `marks` with `true` at `path` (through every element of a list of blocks).
    private static func marking(_ path: ArraySlice<Substring>, in marks: JSONValue?) -> JSONValue {
        guard let name = path.first.map(String.init) else { return .bool(true) }
        switch marks {
        case .array(let items)?: return .array(items.map { marking(path, in: $0) })
        case .object(var members)?:
            members[name] = marking(path.dropFirst(), in: members[name])
            return .object(members)
        case .bool(true)?: return .bool(true)
        default: return .object([name: marking(path.dropFirst(), in: nil)])
        }
    }

    /// `values` without what lies at the sensitive `paths` (through every element of a list of
    /// blocks; a path into a plain value drops the whole value).
    static func removing(_ paths: [String], from values: JSONValue) -> JSONValue {
        paths.reduce(values) { removing($1.split(separator: ".")[...], from: $0) }
    }

    private static func removing(_ path: ArraySlice<Substring>, from value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map { removing(path, from: $0) })
        case .object(var members):
            guard let name = path.first.map(String.init), let member = members[name] else { return value }
            switch member {
            case .object where path.count > 1, .array where path.count > 1: members[name] = removing(path.dropFirst(), from: member)
            default: members[name] = nil
            }
            return .object(members)
        default: return value
        }
    }

    static func collectionShape(_ members: [String: JSONValue], unknown: JSONValue?, fields: [String: AttributeSchema]?) -> [String:
        JSONValue]
    {
        var out: [String: JSONValue] = [:]
        for (name, value) in members {
            let marks = unknown?[name]
            switch value {
            case .array(let items):
                let element: [String: AttributeSchema]? =
                    if case .list(.object(let inner))? = fields?[name]?.type {
                        inner
                    } else if case .object(let inner)? = fields?[name]?.type { inner } else { nil }
                out[name] = .array(
                    items.enumerated().map { index, item in
                        elementShape(item, unknown: marks?.arrayValue.flatMap { index < $0.count ? $0[index] : nil }, fields: element)
                    })
            case .object: out[name] = .object([:])
            default: break
            }
        }
        // Known only after apply: an empty collection of its type.
        if case .object(let marked)? = unknown {
            for (name, mark) in marked where mark == .bool(true) && members[name] == nil {
                switch fields?[name]?.type {
                case .list?, .object?: out[name] = .array([])
                case .map?: out[name] = .object([:])
                default: break
                }
            }
        }
        return out
    }

    static func elementShape(_ value: JSONValue, unknown: JSONValue?, fields: [String: AttributeSchema]?) -> JSONValue {
        switch value {
        case .object(let members): .object(collectionShape(members, unknown: unknown, fields: fields))
        case .array(let items): .array(items.map { elementShape($0, unknown: nil, fields: nil) })
        default: .bool(false)
        }
    }

    /// A known value as plain JSON; nil when unknown.
    func known(_ value: Value) -> JSONValue? {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(number)
        case .float(let number): return .double(number)
        case .string(let text): return .string(text)
        case .list(let items): return .array(items.map { known($0) ?? .null })
        case .map(let members): return .object(members.compactMapValues { known($0) })
        case .unknown: return nil
        }
    }

    // MARK: - Configuration

    private func configuration(_ plan: Plan) -> JSONValue {
        var rootResources: [JSONValue] = []
        var moduleResources: [String: [JSONValue]] = [:]
        var seenBlocks = Set<String>()
        for change in plan.changes where change.action != .delete {
            let block = change.address.block
            guard seenBlocks.insert(block.canonical).inserted else { continue }
            let local = ResourceAddress(module: nil, type: block.type, name: block.name)
            var expressions: [String: JSONValue] = [:]
            // A plan file from before strata recorded references per expression: every
            // dependency in the module stands for each value known only after apply.
            let dependencies = change.dependencies
                .filter { $0.module == change.address.module }
                .flatMap { dependency -> [JSONValue] in
                    let local = ResourceAddress(module: nil, type: dependency.type, name: dependency.name)
                    return [.string(local.canonical + ".id"), .string(local.canonical)]
                }
            for (name, value) in change.after ?? [:] where name != "tags_all" {
                let fallback = change.references.map { ($0[name] ?? []).map(JSONValue.string) } ?? dependencies
                expressions[name] = expression(
                    value, type: catalog[change.type]?.attributes[name]?.type, path: name, references: fallback,
                    recorded: change.references)
            }
            // A secret written as a literal is no constant here either (a Secret's `stringData`).
            for path in change.sensitiveAttributes {
                let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
                guard case .object(var written)? = expressions[parts[0]], let constant = written["constant_value"] else { continue }
                written["constant_value"] = parts.count == 2 ? Self.removing([parts[1]], from: constant) : nil
                expressions[parts[0]] = .object(written)
            }
            let resource: JSONValue = .object([
                "address": .string(local.canonical), "mode": .string("managed"), "type": .string(block.type),
                "name": .string(block.name), "provider_config_key": .string(Self.provider(of: block.type).key),
                "expressions": .object(expressions), "schema_version": .int(0),
            ])
            if let module = block.module {
                moduleResources[module, default: []].append(resource)
            } else {
                rootResources.append(resource)
            }
        }
        var calls: [String: JSONValue] = [:]
        for module in moduleResources.keys.sorted() {
            calls[module] = .object([
                "source": .string(module), "module": .object(["resources": .array(moduleResources[module] ?? [])]),
            ])
        }
        var providers: [String: JSONValue] = [
            "aws": .object([
                "name": .string("aws"), "full_name": .string(Self.providerName),
                "expressions": .object(["region": .object(["constant_value": .string(plan.region)])]),
            ])
        ]
        if plan.changes.contains(where: { Self.provider(of: $0.type).key == "kubernetes" }) {
            providers["kubernetes"] = .object([
                "name": .string("kubernetes"), "full_name": .string(Self.provider(of: "kubernetes_manifest").name),
            ])
        }
        return .object([
            "provider_config": .object(providers),
            "root_module": .object(["resources": .array(rootResources), "module_calls": .object(calls)]),
        ])
    }
}

extension TerraformPlanJSON {
    /// One attribute of `configuration`, or one field of a block (`path`: `vpc_config.subnet_ids`,
    /// `block_device_mappings.0.ebs`). As Terraform: an expression that refers to anything
    /// lists its `references` even when its value is known (`name = var.name`); a literal is a
    /// `constant_value`; a block is written field by field
    /// (`vpc_config: [{"subnet_ids": {"references": [...]}, ...}]`). A field whose own
    /// references were not recorded (a block built by an expression, an older plan file) falls
    /// back to `references`, those of its block or the instance's dependencies, when unknown.
    func expression(
        _ value: Value, type: ValueType?, path: String, references: [JSONValue], recorded: [String: [String]]?
    ) -> JSONValue {
        switch (type, value) {
        case (.object(let fields)?, .map(let members)):
            return .array([blockExpression(members, fields: fields, path: path, references: references, recorded: recorded)])
        case (.list(.object(let fields))?, .list(let items)):
            return .array(
                items.enumerated().map { index, item in
                    if case .map(let members) = item {
                        return blockExpression(
                            members, fields: fields, path: "\(path).\(index)", references: references, recorded: recorded)
                    }
                    return expression(item, type: nil, path: "\(path).\(index)", references: references, recorded: recorded)
                })
        default:
            if let own = recorded?[path], !own.isEmpty {
                return .object(["references": .array(own.map(JSONValue.string))])
            }
            let name = path.split(separator: ".").last.map(String.init) ?? path
            if value.isKnown, let converted = rendered(value, type: type, name: name).value {
                return .object(["constant_value": converted])
            }
            return .object(["references": .array(references)])
        }
    }

    private func blockExpression(
        _ members: [String: Value], fields: [String: AttributeSchema], path: String, references: [JSONValue],
        recorded: [String: [String]]?
    ) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for (name, member) in members {
            let own = recorded?["\(path).\(name)"].map { $0.map(JSONValue.string) }
            out[name] = expression(
                member, type: fields[name]?.type, path: "\(path).\(name)",
                references: own.flatMap { $0.isEmpty ? nil : $0 } ?? references, recorded: recorded)
        }
        return .object(out)
    }
}

extension Presence {
    /// AWS supplies the value when the stack does not.
    var isComputed: Bool { self == .computed || self == .optionalComputed }
}

extension ValueType {
    /// A nested block (or a list of them): Terraform writes it as a list of objects.
    var isBlock: Bool {
        switch self {
        case .object, .list(.object): true
        default: false
        }
    }
}
