import AWSClient
import Foundation
import StrataCompiler

/// A plan in Terraform's machine-readable plan format (`terraform show -json`, format_version
/// 1.2), so policy tools that read Terraform plans (Checkov's `terraform_plan` framework,
/// OPA/conftest) read strata's. Resource types and attribute names are already the AWS
/// provider's; nested blocks are written as Terraform writes them, lists of one object
/// (`vpc_config: [{...}]`).
///
/// Limits: `configuration` carries constant values as `constant_value` and, for values known
/// only after apply, `references` naming the resource instances the value depends on (strata's
/// compiled graph keeps dependencies per instance, not per expression).
public struct TerraformPlanJSON: Sendable {
    /// The Terraform release whose format this mirrors.
    public static let terraformVersion = "1.9.0"
    public static let providerName = "registry.terraform.io/hashicorp/aws"

    public var catalog: [String: ResourceSchema]
    public var strataVersion: String

    public init(strataVersion: String, catalog: [String: ResourceSchema] = ResourceCatalog.all) {
        self.strataVersion = strataVersion
        self.catalog = catalog
    }

    public func document(_ plan: Plan) -> JSONValue {
        let timestamp = ISO8601DateFormatter().string(from: plan.createdAt)
        var variables: [String: JSONValue] = [:]
        for (name, value) in plan.vars { variables[name] = .object(["value": .string(value)]) }
        let outputs = plan.outputs.mapValues { value -> JSONValue in
            .object(["sensitive": .bool(false), "value": known(value) ?? .null])
        }
        let outputChanges = plan.outputs.mapValues { value -> JSONValue in
            .object([
                "actions": .array([.string("create")]), "before": .null, "after": known(value) ?? .null,
                "after_unknown": .bool(!value.isKnown), "before_sensitive": .bool(false), "after_sensitive": .bool(false),
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
                "root_module": moduleTree(planned) { self.resourceValues($0, values: $0.after ?? [:]) },
            ]),
            "resource_changes": .array(plan.changes.map(resourceChange)),
            "output_changes": .object(outputChanges),
            "prior_state": .object([
                "format_version": .string("1.0"),
                "terraform_version": .string(Self.terraformVersion),
                "values": .object([
                    "outputs": .object([:]),
                    "root_module": withDataSources(
                        moduleTree(prior) { self.resourceValues($0, values: $0.before ?? [:]) }, plan),
                ]),
            ]),
            "configuration": configuration(plan),
        ])
    }

    // MARK: - Resources

    func resourceChange(_ change: ResourceChange) -> JSONValue {
        var object = identification(change.address)
        if let module = change.address.module { object["module_address"] = .string("module.\(module)") }
        let schema = catalog[change.type]
        let before = change.before.map { terraformAttributes($0, schema: schema) }
        var after: JSONValue = .null
        var afterUnknown: [String: JSONValue] = [:]
        if let values = change.after {
            after = terraformAttributes(values, schema: schema)
            afterUnknown = unknownMarks(values, schema: schema)
            if change.action == .create || change.action == .replace, let schema {
                for (name, attribute) in schema.attributes where values[name] == nil && attribute.presence != .optional && attribute.presence != .required {
                    afterUnknown[name] = .bool(true)
                }
            }
        }
        var change_: [String: JSONValue] = [
            "actions": .array(change.action.terraformActions(createBeforeDestroy: change.createBeforeDestroy).map(JSONValue.string)),
            "before": before ?? .null,
            "after": after,
            "after_unknown": .object(afterUnknown),
            "before_sensitive": sensitiveMarks(change, present: change.before != nil),
            "after_sensitive": sensitiveMarks(change, present: change.after != nil),
        ]
        if change.action == .replace {
            change_["replace_paths"] = .array(change.replaceBecause.map { path in
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

    private func identification(_ address: ResourceAddress) -> [String: JSONValue] {
        var object: [String: JSONValue] = [
            "address": .string(address.canonical), "mode": .string("managed"), "type": .string(address.type),
            "name": .string(address.name), "provider_name": .string(Self.providerName),
        ]
        switch address.key {
        case .index(let index)?: object["index"] = .int(Int64(index))
        case .name(let name)?: object["index"] = .string(name)
        case nil: break
        }
        return object
    }

    private func resourceValues(_ change: ResourceChange, values: [String: Value]) -> JSONValue {
        var object = identification(change.address)
        object["schema_version"] = .int(0)
        object["values"] = terraformAttributes(values, schema: catalog[change.type])
        object["sensitive_values"] = sensitiveMarks(change, present: true)
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
            object["child_modules"] = .array(children.keys.sorted().map { address in
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
                data("aws_caller_identity", "current", [
                    "account_id": .string(account), "arn": facts.callerArn.map(JSONValue.string) ?? .null,
                    "id": .string(account),
                ]))
        }
        if !facts.availabilityZones.isEmpty {
            resources.append(
                data("aws_availability_zones", "available", [
                    "id": .string(plan.region), "state": .string("available"),
                    "names": .array(facts.availabilityZones.map(JSONValue.string)),
                ]))
        }
        for version in facts.eksAMIReleaseVersions.keys.sorted() {
            let name = Discovery.amiReleaseParameter(version: version)
            resources.append(
                data("aws_ssm_parameter", "eks_ami_release_\(version.replacingOccurrences(of: ".", with: "_"))", [
                    "id": .string(name), "name": .string(name), "type": .string("String"),
                    "value": .string(facts.eksAMIReleaseVersions[version] ?? ""),
                ]))
        }
        object["resources"] = .array(resources)
        return .object(object)
    }

    // MARK: - Values

    /// Attributes as Terraform writes them: unknowns omitted (they are in `after_unknown`),
    /// nested blocks as lists of one object, `json` attributes as JSON text.
    func terraformAttributes(_ values: [String: Value], schema: ResourceSchema?) -> JSONValue {
        var out: [String: JSONValue] = [:]
        for (name, value) in values {
            guard let converted = terraformValue(value, type: schema?.attributes[name]?.type) else { continue }
            out[name] = converted
        }
        return .object(out)
    }

    func terraformValue(_ value: Value, type: ValueType?) -> JSONValue? {
        switch (type, value) {
        case (_, .unknown): return nil
        case (.object(let fields)?, .map(let members)):
            var out: [String: JSONValue] = [:]
            for (name, member) in members {
                if let converted = terraformValue(member, type: fields[name]?.type) { out[name] = converted }
            }
            return .array([.object(out)])
        case (.list(let element)?, .list(let items)):
            return .array(items.map { terraformValue($0, type: element) ?? .null })
        case (.map(let element)?, .map(let members)):
            return .object(members.mapValues { terraformValue($0, type: element) ?? .null })
        case (.json?, .map), (.json?, .list):
            return known(value).map { .string(String(decoding: $0.encoded(), as: UTF8.self)) }
        default:
            return known(value)
        }
    }

    private func unknownMarks(_ values: [String: Value], schema: ResourceSchema?) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for (name, value) in values where !value.isKnown {
            if let mark = unknownMark(value, type: schema?.attributes[name]?.type) { out[name] = mark }
        }
        return out
    }

    private func unknownMark(_ value: Value, type: ValueType?) -> JSONValue? {
        switch (type, value) {
        case (_, .unknown): return .bool(true)
        case (.object(let fields)?, .map(let members)):
            var inner: [String: JSONValue] = [:]
            for (name, member) in members where !member.isKnown { inner[name] = unknownMark(member, type: fields[name]?.type) ?? .bool(true) }
            return .array([.object(inner)])
        case (.list(let element)?, .list(let items)):
            return .array(items.map { $0.isKnown ? .bool(false) : unknownMark($0, type: element) ?? .bool(true) })
        case (_, .list(let items)):
            return .array(items.map { $0.isKnown ? .bool(false) : unknownMark($0, type: nil) ?? .bool(true) })
        case (_, .map(let members)):
            var inner: [String: JSONValue] = [:]
            for (name, member) in members where !member.isKnown { inner[name] = unknownMark(member, type: nil) ?? .bool(true) }
            return .object(inner)
        default: return .bool(true)
        }
    }

    private func sensitiveMarks(_ change: ResourceChange, present: Bool) -> JSONValue {
        guard present else { return .bool(false) }
        var out: [String: JSONValue] = [:]
        for name in change.sensitiveAttributes { out[name] = .bool(true) }
        return .object(out)
    }

    /// A known value as plain JSON; nil when unknown.
    func known(_ value: Value) -> JSONValue? {
        switch value {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(Int64(number))
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
            for (name, value) in change.after ?? [:] where name != "tags_all" {
                if value.isKnown, let converted = terraformValue(value, type: catalog[change.type]?.attributes[name]?.type) {
                    expressions[name] = .object(["constant_value": converted])
                } else {
                    let references = change.dependencies
                        .filter { $0.module == change.address.module }
                        .flatMap { dependency -> [JSONValue] in
                            let local = ResourceAddress(module: nil, type: dependency.type, name: dependency.name)
                            return [.string(local.canonical + ".id"), .string(local.canonical)]
                        }
                    expressions[name] = .object(["references": .array(references)])
                }
            }
            let resource: JSONValue = .object([
                "address": .string(local.canonical), "mode": .string("managed"), "type": .string(block.type),
                "name": .string(block.name), "provider_config_key": .string("aws"),
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
        return .object([
            "provider_config": .object([
                "aws": .object([
                    "name": .string("aws"), "full_name": .string(Self.providerName),
                    "expressions": .object(["region": .object(["constant_value": .string(plan.region)])]),
                ])
            ]),
            "root_module": .object(["resources": .array(rootResources), "module_calls": .object(calls)]),
        ])
    }
}
