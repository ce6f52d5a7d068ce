import StrataModel
import StrataSyntax

/// Pass 7: AWS's own limits, before anything is created: each type's `limits` (name lengths and
/// characters, CIDR sizes) and the tag rules every service shares. A value known only after
/// apply is skipped here; the planner compiles again with live values, so it is checked as soon
/// as it is known, still before the first create.
enum CheckLimits {
    static func run(_ c: inout Compilation) {
        for module in c.scopes.byModule.keys.sorted() {
            guard let scope = c.scopes.byModule[module] else { continue }
            for name in scope.blockResults.keys.sorted() {
                guard let result = scope.blockResults[name], let schema = result.schema else { continue }
                for instance in result.instances {
                    check(instance, schema: schema, blockSpan: result.block.name.span, &c)
                }
            }
        }
    }

    private static func check(_ instance: InstanceResult, schema: ResourceSchema, blockSpan: SourceSpan, _ c: inout Compilation) {
        var tagsSpan = blockSpan
        for attribute in instance.attributes {
            let name = attribute.entry.name.name
            if let limit = schema.limits[name], case .string(let text) = attribute.value,
                let problem = limit.problem(text)
            {
                var diagnostic = Diagnostic.beyondAWSLimit(name, of: instance.address, problem, at: attribute.entry.value.span)
                diagnostic.notes += c.inputNotes(attribute.inputs, module: instance.address.module)
                c.diagnostics.append(diagnostic)
            }
            // A limit on a field of a block (`rollout.strategy`), pointed at the field's value.
            if case .map(let fields) = attribute.value {
                for (field, value) in fields.sorted(by: { $0.key < $1.key }) {
                    guard let limit = schema.limits["\(name).\(field)"], case .string(let text) = value,
                        let problem = limit.problem(text)
                    else { continue }
                    let span = keySpans(attribute.entry.value, values: true)[field] ?? attribute.entry.value.span
                    // Block fields limited today are strata's own words, not AWS's: no "AWS would refuse".
                    var diagnostic = Diagnostic.error("`\(name).\(field)` of `\(instance.address)`: \(problem)", at: span)
                    diagnostic.notes += c.inputNotes(attribute.inputs, module: instance.address.module)
                    c.diagnostics.append(diagnostic)
                }
            }
            if name == "tags", schema.taggable, case .map(let tags) = attribute.value {
                tagsSpan = attribute.entry.value.span
                let keySpans = keySpans(attribute.entry.value)
                for key in tags.keys.sorted() {
                    if let problem = TagLimits.problem(key: key, value: tags[key]?.textForm) {
                        c.diagnostics.append(.error(problem, at: keySpans[key] ?? tagsSpan))
                    } else if TagLimits.restrictsCharacters(of: schema.type), case .string(let value)? = tags[key],
                        let refused = TagLimits.refusedCharacter(in: value)
                    {
                        c.diagnostics.append(
                            .error(
                                "the value of tag `\(key)` holds `\(refused)`, which \(schema.type) does not accept in a tag",
                                at: keySpans[key] ?? tagsSpan,
                                detail: "its service allows letters, digits, spaces and _ . : / = + - @ in tag values"))
                    }
                }
            }
        }
        guard schema.taggable, case .map(let object) = instance.object, case .map(let all)? = object["tags_all"] else { return }
        if all.count > TagLimits.maximumCount {
            c.diagnostics.append(
                .error(
                    "`\(instance.address)` would carry \(all.count) tags; AWS allows at most \(TagLimits.maximumCount)",
                    at: tagsSpan,
                    detail: "the count includes the stack's `tags` and strata's two ownership tags (`strata:stack`, `strata:address`)"))
        }
        let address = TagLimits.addressTag(instance.address, type: schema.type)
        if address.count > TagLimits.maximumValueLength {
            c.diagnostics.append(
                .error(
                    "the address `\(address.prefix(60))…` is \(address.count) characters; its `strata:address` tag can hold at most \(TagLimits.maximumValueLength)",
                    at: blockSpan, detail: "use shorter module names, resource names or `for_each` keys"))
        }
    }

    /// The key spans (or with `values`, the value spans) of a literal map's entries by key
    /// (`tags: { team: x }`, `rollout: { strategy: x }`), to point at the offending one.
    private static func keySpans(_ expression: Expression, values: Bool = false) -> [String: SourceSpan] {
        guard case .map(let entries) = expression.kind else { return [:] }
        var spans: [String: SourceSpan] = [:]
        for entry in entries {
            if case .string(let key) = entry.key.kind { spans[key] = values ? entry.value.span : entry.key.span }
        }
        return spans
    }
}

extension Diagnostic {
    static func beyondAWSLimit(_ attribute: String, of address: ResourceAddress, _ problem: String, at span: SourceSpan)
        -> Diagnostic
    {
        .error("`\(attribute)` of `\(address)`: \(problem)", at: span, detail: "AWS would refuse it at apply time")
    }
}
