import StrataCompiler
import StrataModel
import StrataProviders

/// The outcome of comparing one desired resource with its live self.
public struct DiffResult: Sendable, Equatable {
    /// `.noop`, `.update` or `.replace`.
    public var action: ChangeAction
    /// Top-level attributes that differ, sorted: what an update changes.
    public var changed: [String]
    /// Attribute paths whose difference forces replacement, sorted.
    public var replaceBecause: [String]

    public init(action: ChangeAction, changed: [String], replaceBecause: [String]) {
        self.action = action
        self.changed = changed
        self.replaceBecause = replaceBecause
    }
}

/// Desired against live, attribute by attribute, with the schema's rules:
///
/// * attributes the stack set are compared (after ``Normalisation``);
/// * an optional attribute the stack did not set differs only when its live value is neither
///   the schema's server default nor empty (someone set it out of band);
/// * computed and optional-computed attributes the stack did not set never differ;
/// * a difference in an attribute (or nested field) that forces replacement makes a replace
///   naming it; any other difference is an update in place;
/// * an unknown desired value (known after apply) differs: replace when the attribute forces
///   replacement, update otherwise;
/// * write-only settings (``Normalisation/writeOnlyAttributes``: how a call behaves, such as
///   `resolve_conflicts_on_create`) are compared only when the provider reports them;
/// * tags compare as AWS stores them: the desired `tags_all` (stack tags, the resource's own and
///   the ownership tags) against the live tags. A difference names `tags_all`, and `tags` as well
///   when a key the resource sets itself differs; providers bring the live tags to
///   ``DesiredResource/tags`` for either.
///
/// Pure: the provider tests use it to check that what they create reads back as "no changes".
public enum Differ {
    public static func diff(desired: [String: Value], live: LiveResource, schema: ResourceSchema) -> DiffResult {
        var differences: [Difference] = []
        for name in schema.attributes.keys.sorted() {
            guard let attribute = schema.attributes[name] else { continue }
            if name == "tags" || name == "tags_all" { continue }
            if attribute.presence == .computed { continue }
            // Settings AWS takes on a call but never reports: nothing live to compare with.
            if Normalisation.writeOnlyAttributes.contains(name), live.attributes[name] == nil { continue }
            differences += compare(desired[name], live.attributes[name], attribute, path: name)
        }
        differences += compareTags(desired: desired, live: live.attributes, schema: schema)
        return result(differences)
    }

    /// One differing attribute path and whether it forces replacement.
    struct Difference: Equatable {
        var path: String
        var forcesReplacement: Bool
        var topLevel: String { String(path.prefix { $0 != "." && $0 != "[" }) }
    }

    static func result(_ differences: [Difference]) -> DiffResult {
        let changed = Set(differences.map(\.topLevel)).sorted()
        let forcing = Set(differences.filter(\.forcesReplacement).map(\.path)).sorted()
        let action: ChangeAction = differences.isEmpty ? .noop : forcing.isEmpty ? .update : .replace
        return DiffResult(action: action, changed: changed, replaceBecause: forcing)
    }

    /// The paths under `path` where desired and live differ.
    static func compare(_ desired: Value?, _ live: Value?, _ attribute: AttributeSchema, path: String, forcedByParent: Bool = false)
        -> [Difference]
    {
        let forces = attribute.forcesReplacement || forcedByParent
        guard let desired, desired != .null else {
            // Not set by the stack: only an out-of-band value on an optional attribute differs.
            guard attribute.presence == .optional || attribute.presence == .required else { return [] }
            if Normalisation.isDefaultOrEmpty(live, attribute.serverDefault) { return [] }
            // A block nobody set whose live fields are all defaults is no difference either.
            if case .object(let fields) = attribute.type, case .map(let members)? = live,
                members.allSatisfy({ key, value in
                    guard let field = fields[key] else { return true }
                    return field.presence == .computed || field.presence == .optionalComputed
                        || Normalisation.isDefaultOrEmpty(value, field.serverDefault)
                })
            {
                return []
            }
            return [Difference(path: path, forcesReplacement: forces)]
        }
        if case .unknown = desired { return [Difference(path: path, forcesReplacement: forces)] }
        switch (attribute.type, desired) {
        case (.object(let fields), .map(let members)) where !fields.isEmpty:
            let liveMembers: [String: Value]
            switch live {
            case .map(let members)?: liveMembers = members
            case .list(let items)? where items.count == 1:
                // Terraform-style single-element block lists read the same as the object.
                if case .map(let members) = items[0] {
                    liveMembers = members
                } else {
                    return [Difference(path: path, forcesReplacement: forces)]
                }
            case nil, .null?: liveMembers = [:]
            default: return [Difference(path: path, forcesReplacement: forces)]
            }
            var out: [Difference] = []
            for name in fields.keys.sorted() {
                guard let field = fields[name], field.presence != .computed else { continue }
                out += compare(members[name], liveMembers[name], field, path: path + "." + name, forcedByParent: forces)
            }
            return out
        case (.list(.object(let fields)), .list(let items)) where !fields.isEmpty:
            guard case .list(let liveItems)? = live, liveItems.count == items.count else {
                if items.isEmpty, Normalisation.isDefaultOrEmpty(live, nil) { return [] }
                return [Difference(path: path, forcesReplacement: forces)]
            }
            let element = AttributeSchema(
                attribute.name, .object(fields), attribute.presence, forcesReplacement: attribute.forcesReplacement)
            if Normalisation.setAttributes.contains(attribute.name) {
                // A set of blocks (routes, rules, taints): each desired block pairs with a live
                // one it equals, in whatever order either side lists them.
                var remaining = liveItems
                for item in items {
                    guard let index = remaining.firstIndex(where: { compare(item, $0, element, path: path).isEmpty }) else {
                        return [Difference(path: path, forcesReplacement: forces)]
                    }
                    remaining.remove(at: index)
                }
                return []
            }
            var out: [Difference] = []
            for (index, item) in items.enumerated() {
                out += compare(item, liveItems[index], element, path: "\(path)[\(index)]", forcedByParent: forcedByParent)
            }
            return out
        default:
            if !desired.isKnown { return [Difference(path: path, forcesReplacement: forces)] }
            return Normalisation.equivalent(desired, live, type: attribute.type, name: attribute.name)
                ? [] : [Difference(path: path, forcesReplacement: forces)]
        }
    }

    static func compareTags(desired: [String: Value], live: [String: Value], schema: ResourceSchema) -> [Difference] {
        guard schema.attributes["tags_all"] != nil || schema.attributes["tags"] != nil else { return [] }
        let wanted: Value? = desired["tags_all"] ?? desired["tags"]
        guard let wanted else { return [] }
        let forces = schema.attributes["tags"]?.forcesReplacement ?? false
        if !wanted.isKnown { return [Difference(path: "tags_all", forcesReplacement: forces)] }
        let want = wanted.stringMap
        let have = (live["tags_all"] ?? live["tags"])?.stringMap ?? [:]
        let differing = Set(want.keys).union(have.keys).filter { want[$0] != have[$0] }
        guard !differing.isEmpty else { return [] }
        var out = [Difference(path: "tags_all", forcesReplacement: forces)]
        let own = Set(desired["tags"]?.stringMap.keys.map { $0 } ?? [])
        let inherited = Set(want.keys).subtracting(own)
        // A key the stack does not set at all (added out of band) is the resource's own `tags`
        // drifting; keys that come from the stack's tags or ownership only touch `tags_all`.
        if !differing.isSubset(of: inherited) { out.append(Difference(path: "tags", forcesReplacement: forces)) }
        return out
    }
}
