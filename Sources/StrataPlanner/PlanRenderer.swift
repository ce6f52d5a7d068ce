import StrataCompiler
import StrataModel
import StrataProviders

/// The human form of a plan, like Terraform's: one block per resource that changes, grouped by
/// module, `+` create, `~` update in place, `-/+` replace (with `# forces replacement` on the
/// attribute responsible), `-` delete; then rollout steps and the summary line. Pure: the
/// command decides where it goes and whether it is coloured.
public struct PlanRenderer: Sendable {
    public var colour: Bool
    public var catalog: [String: ResourceSchema]

    public init(colour: Bool, catalog: [String: ResourceSchema] = ResourceCatalog.all) {
        self.colour = colour
        self.catalog = catalog
    }

    public func render(_ plan: Plan) -> String {
        var out = ""
        let actionable = plan.actionable
        if actionable.isEmpty {
            // A cluster `strata upgrade` moved ahead of its files still says which line to update.
            return paint("No changes.", .bold) + " Your infrastructure matches the configuration.\n"
                + plan.rollouts.map { "\n" + rollout($0) }.joined()
        }
        out += "strata will perform the following actions on stack \(plan.stack) (\(plan.region)):\n"
        // Parents being replaced, by type and id: their children are deleted with the old one.
        let replacing = Dictionary(
            actionable.filter { $0.action == .replace }.compactMap { change in
                change.live.map { (LiveResource.Parent(type: $0.type, id: $0.id), change.address) }
            },
            uniquingKeysWith: { first, _ in first })
        var byModule: [String: [ResourceChange]] = [:]
        for change in actionable { byModule[change.address.module.map { "module.\($0)" } ?? "", default: []].append(change) }
        for module in byModule.keys.sorted() {
            out += "\n" + paint(module.isEmpty ? "# stack root" : "# \(module)", .bold) + "\n"
            for change in byModule[module] ?? [] { out += "\n" + block(change, replacing: replacing) }
        }
        for rollout in plan.rollouts { out += "\n" + self.rollout(rollout) }
        let counts = plan.summary
        out += "\n" + paint("Plan:", .bold) + " \(counts.add) to add, \(counts.change) to change, \(counts.destroy) to destroy.\n"
        return out
    }

    // MARK: - One resource

    func block(_ change: ResourceChange, replacing: [LiveResource.Parent: ResourceAddress] = [:]) -> String {
        let schema = catalog[change.type]
        // Secrets are replaced before anything is formatted, so no line can show one.
        let change = change.redacted
        var lines: [String] = []
        let header: String
        let symbol: String
        switch change.action {
        case .create:
            header = "# \(change.address) will be created"
            symbol = paint("+", .green)
            for name in (change.after ?? [:]).keys.sorted() where name != "tags_all" {
                lines.append(line("+", name, value: change.after?[name]))
            }
            for name in computedNames(schema) where change.after?[name] == nil {
                lines.append("\(paint("+", .green)) \(name) = (known after apply)")
            }
        case .update, .replace:
            header =
                change.action == .update
                ? "# \(change.address) will be updated in-place"
                : "# \(change.address) must be \(change.createBeforeDestroy ? "replaced (create before destroy)" : "replaced")"
            symbol = change.action == .update ? paint("~", .yellow) : paint("-/+", .red)
            let forcing = Set(change.replaceBecause.map { String($0.prefix { $0 != "." && $0 != "[" }) })
            for name in change.changedAttributes {
                let before = name == "tags" ? ownTags(change) : change.before?[name]
                var text = line("~", name, value: before, to: change.after?[name] ?? .null)
                if forcing.contains(name) {
                    let paths = change.replaceBecause.filter { $0 == name || $0.hasPrefix(name + ".") || $0.hasPrefix(name + "[") }
                    let detail = paths == [name] ? "" : " (\(paths.joined(separator: ", ")))"
                    text += " " + paint("# forces replacement\(detail)", .red)
                }
                lines.append(text)
            }
            if let id = change.live?.id { lines.append("  id = \(quote(id))") }
        case .delete:
            header = "# \(change.address) will be destroyed"
            symbol = paint("-", .red)
            if let id = change.live?.id { lines.append("\(paint("-", .red)) id = \(quote(id))") }
            if let parent = change.live?.parent, let replaced = replacing[parent] {
                lines.append("  # a child of \(replaced), whose old \(parent.type) AWS deletes only without it")
            } else if change.live?.address == nil {
                lines.append("  # not in the stack files: an untagged child of a resource the stack owns")
            } else {
                lines.append("  # tagged for this stack but no longer in its files")
            }
        case .noop:
            return ""
        }
        var out = "  " + paint(header, .bold) + "\n"
        out += "  \(symbol) resource \(quote(change.type)) \(quote(change.address.name)) {\n"
        for text in aligned(lines) { out += "      \(text)\n" }
        out += "    }\n"
        return out
    }

    /// The live tags a `tags` line compares with the resource's own: everything AWS stores but
    /// the ownership tags and the stack's tags the resource inherits unchanged (those show on
    /// the `tags_all` line), so the line reads as the edit it undoes.
    private func ownTags(_ change: ResourceChange) -> Value? {
        guard let live = change.before?["tags_all"] ?? change.before?["tags"], case .map(let members) = live,
            !live.isSensitivePlaceholder
        else {
            return change.before?["tags"]
        }
        let own = Set(change.after?["tags"]?.stringMap.keys.map { $0 } ?? [])
        let inherited = (change.after?["tags_all"]?.stringMap ?? [:]).filter { !own.contains($0.key) }
        return .map(
            members.filter { key, value in
                !key.hasPrefix("strata:") && !(inherited[key] != nil && inherited[key] == value.textForm)
            })
    }

    /// Lines of one block with their `=` signs in one column, as Terraform prints them.
    private func aligned(_ lines: [String]) -> [String] {
        let width =
            lines.compactMap { line in line.range(of: " = ").map { line.distance(from: line.startIndex, to: $0.lowerBound) } }
            .max() ?? 0
        return lines.map { line in
            guard let range = line.range(of: " = ") else { return line }
            let head = String(line[..<range.lowerBound])
            let padding = String(repeating: " ", count: max(0, width - line.distance(from: line.startIndex, to: range.lowerBound)))
            return head + padding + String(line[range.lowerBound...])
        }
    }

    private func computedNames(_ schema: ResourceSchema?) -> [String] {
        guard let schema else { return [] }
        return schema.attributes.values.filter { $0.presence == .computed && $0.name != "tags_all" }.map(\.name).sorted()
    }

    private func line(_ sign: String, _ name: String, value: Value?, to: Value? = nil) -> String {
        let painted = paint(sign, sign == "+" ? .green : sign == "-" ? .red : .yellow)
        let show: (Value?) -> String = { self.format($0 ?? .null) }
        if let to { return "\(painted) \(name) = \(show(value)) -> \(show(to))" }
        return "\(painted) \(name) = \(show(value))"
    }

    /// A value as HCL-like text: strings quoted, lists and maps inline, unknowns as
    /// `(known after apply)`, secrets (``Value/sensitivePlaceholder``) as `(sensitive value)`.
    public func format(_ value: Value) -> String {
        if value.isSensitivePlaceholder { return "(sensitive value)" }
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .int(let number): return String(number)
        case .float(let number): return String(number)
        case .string(let text): return quote(text)
        case .list(let items): return "[" + items.map(format).joined(separator: ", ") + "]"
        case .map(let members):
            if members.isEmpty { return "{}" }
            return "{ " + members.keys.sorted().map { "\(quote($0)) = \(format(members[$0] ?? .null))" }.joined(separator: ", ") + " }"
        case .unknown: return "(known after apply)"
        }
    }

    private func quote(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    enum Style: String {
        case bold = "1", green = "32", yellow = "33", red = "31"
    }

    func paint(_ text: String, _ style: Style) -> String {
        colour ? "\u{1B}[\(style.rawValue)m\(text)\u{1B}[0m" : text
    }
}
