import StrataModel
import StrataSyntax

/// Pass 5: walk the items in order and evaluate them: module inputs (checked against their
/// declared types), resource blocks (expanded by `count`/`for_each` into instances, each
/// evaluated, schema-checked and turned into the object later references see), and outputs.
enum ExpandResources {
    /// More instances than this from one block is almost certainly a mistake (`range(100000)`).
    static let maximumInstances = 100_000

    static func run(_ c: inout Compilation) {
        for item in c.order {
            switch item.kind {
            case .input: evaluateInput(item, &c)
            case .resource: expandBlock(item, &c)
            case .output: evaluateOutput(item, &c)
            }
        }
    }

    // MARK: - Inputs and outputs

    private static func evaluateInput(_ item: ItemID, _ c: inout Compilation) {
        guard let module = item.module, let declaration = c.scopes[module]?.inputs[item.name],
            let call = c.stack.modules.first(where: { $0.name.name == module })
        else { return }
        var evaluated: Evaluated
        if let argument = call.arguments.first(where: { $0.name.name == item.name }) {
            var evaluator = Evaluator(compilation: c, module: nil)
            let value = evaluator.evaluate(argument.value)
            c.diagnostics += evaluator.diagnostics
            var checker = SchemaChecker()
            let converted = checker.check(value, against: declaration.type, expression: argument.value, path: item.name)
            c.diagnostics += checker.diagnostics.map {
                var diagnostic = $0
                diagnostic.summary = "input of module `\(module)`: " + diagnostic.summary
                diagnostic.notes.append(.init("input `\(item.name)` declared here", at: declaration.typeSpan))
                return diagnostic
            }
            // A wrong argument was reported here; inside the module it is just unknown, so the
            // mistake is not reported again wherever the input is used.
            let poisoned = checker.diagnostics.hasErrors
            evaluated = Evaluated(
                value: poisoned ? .unknown(.any) : converted, dependencies: evaluator.dependencies,
                sensitive: declaration.sensitive || evaluator.readsSensitive)
        } else if let defaultValue = declaration.defaultValue {
            var evaluator = Evaluator(compilation: c, module: module, constantsOnly: true)
            let value = evaluator.evaluate(defaultValue)
            c.report(evaluator.diagnostics, in: module)
            var checker = SchemaChecker()
            let converted = checker.check(
                value, against: declaration.type, expression: defaultValue, path: "default of \(item.name)")
            c.report(checker.diagnostics, in: module)
            evaluated = Evaluated(value: converted, sensitive: declaration.sensitive)
        } else {
            evaluated = Evaluated(value: .unknown(declaration.type), sensitive: declaration.sensitive)
        }
        c.scopes.update(module) { $0.inputValues[item.name] = evaluated }
    }

    private static func evaluateOutput(_ item: ItemID, _ c: inout Compilation) {
        guard let declaration = c.scopes[item.module]?.outputs[item.name] else { return }
        var evaluator = Evaluator(compilation: c, module: item.module)
        let value = evaluator.evaluate(declaration.value)
        c.report(evaluator.diagnostics, in: item.module)
        // As in Terraform: exporting a secret is said out loud, or it is an error.
        if evaluator.readsSensitive && !declaration.sensitive {
            c.report([.outputNotMarkedSensitive(item.name, at: declaration.value.span)], in: item.module)
        }
        let sensitive = declaration.sensitive || evaluator.readsSensitive
        let evaluated = Evaluated(value: value, dependencies: evaluator.dependencies, sensitive: sensitive)
        c.scopes.update(item.module) { $0.outputValues[item.name] = evaluated }
        if item.module == nil {
            c.outputs[item.name] = value
            if sensitive { c.sensitiveOutputs.insert(item.name) }
        }
    }

    // MARK: - Resources

    private struct Key {
        var key: ResourceAddress.Key?
        var each: Evaluator.EachBinding?
        var countIndex: Int?
    }

    private static func expandBlock(_ item: ItemID, _ c: inout Compilation) {
        // Scopes are updated in place (`update`): copying one per block would make a stack with
        // thousands of resources quadratic.
        guard let block = c.scopes[item.module]?.blocks[item.name] else { return }
        let address = ResourceAddress(module: item.module, type: block.type.name, name: block.name.name)
        guard let schema = c.catalog[block.type.name] else {
            c.diagnostics.append(
                Diagnostic.error("unknown resource type `\(block.type.name)`", at: block.type.span)
                    .suggesting(Suggestion.closest(to: block.type.name, in: c.catalog.keys.sorted())))
            let result = BlockResult(block: block, address: address, schema: nil, expansion: .single, instances: [])
            c.scopes.update(item.module) { $0.blockResults[item.name] = result }
            return
        }
        var blockDependencies = Set<ResourceAddress>()
        var blockInputs = Set<String>()
        let (expansion, keys) = expansionKeys(block, module: item.module, &blockDependencies, &blockInputs, &c)
        var found = RepeatedDiagnostics()
        for dependency in block.dependsOn {
            var evaluator = Evaluator(compilation: c, module: item.module)
            if case .string(let name) = dependency.kind {
                for instance in c.scopes[item.module]?.blockResults[name]?.instances ?? [] {
                    blockDependencies.insert(instance.address)
                }
            } else {
                _ = evaluator.evaluate(dependency)
                blockDependencies.formUnion(evaluator.dependencies)
            }
        }
        var instances: [InstanceResult] = []
        instances.reserveCapacity(keys.count)
        for key in keys {
            let instanceAddress = ResourceAddress(
                module: item.module, type: block.type.name, name: block.name.name, key: key.key)
            var attributes: [InstanceResult.Attribute] = []
            var references: [String: [String]] = [:]
            var sensitive: Set<String> = []
            for entry in block.attributes {
                var evaluator = Evaluator(compilation: c, module: item.module)
                evaluator.each = key.each
                evaluator.countIndex = key.countIndex
                evaluator.recordsReferences = true
                let fresh = evaluator
                let value = evaluator.evaluate(entry.value)
                // The instance's inputs decide its values too: `zones[count.index]` fails
                // because `count` came from `inputs.zones`.
                let notes = c.inputNotes(evaluator.inputsUsed.union(blockInputs), module: item.module)
                found.add(
                    evaluator.diagnostics.map {
                        var diagnostic = $0
                        if diagnostic.severity == .error { diagnostic.notes += notes }
                        return diagnostic
                    })
                if evaluator.readsSensitive {
                    sensitive.formUnion(
                        secretPaths(entry.value, path: entry.name.name, type: schema.attributes[entry.name.name]?.type, fresh: fresh))
                }
                if !evaluator.references.isEmpty {
                    references[entry.name.name] = evaluator.references
                    // A block written as a literal: each field's own references too (blocks
                    // only: a map attribute such as `tags` is one expression in Terraform too).
                    switch schema.attributes[entry.name.name]?.type {
                    case .object?, .list(.object)?:
                        fieldReferences(entry.value, path: entry.name.name, base: evaluator, into: &references)
                    default: break
                    }
                }
                attributes.append(
                    .init(entry: entry, value: value, dependencies: evaluator.dependencies, inputs: evaluator.inputsUsed))
            }
            var checker = SchemaChecker()
            checker.checkResource(&attributes, schema: schema, block: block)
            found.add(checker.diagnostics)
            var values: [String: Value] = [:]
            for attribute in attributes where schema.attributes[attribute.entry.name.name] != nil {
                if case .null = attribute.value { continue }
                values[attribute.entry.name.name] = attribute.value
            }
            if schema.attributes["tags_all"] != nil {
                values["tags_all"] = tagsAll(values["tags"], address: instanceAddress, c)
                // The resource's own tags win in tags_all, so a secret tag is the same key there.
                if sensitive.contains("tags") || c.stackTagsSensitive {
                    sensitive.insert("tags_all")
                } else {
                    for path in sensitive where path.hasPrefix("tags.") { sensitive.insert("tags_all" + path.dropFirst(4)) }
                }
            }
            let object = objectValue(values, schema: schema, live: c.live[instanceAddress])
            sensitive.formUnion(schema.sensitivePaths(in: values))
            var dependencies = blockDependencies
            for attribute in attributes { dependencies.formUnion(attribute.dependencies) }
            dependencies.remove(instanceAddress)
            instances.append(
                InstanceResult(
                    address: instanceAddress, attributes: attributes, blockDependencies: blockDependencies,
                    object: object, sensitiveAttributes: sensitive))
            c.instances[instanceAddress] = ResourceInstance(
                address: instanceAddress, type: schema.type, plane: schema.plane, attributes: values,
                dependencies: dependencies.sorted(), references: references, sensitiveAttributes: sensitive.sorted(),
                span: block.name.span,
                attributeSpans: Dictionary(attributes.map { ($0.entry.name.name, $0.entry.value.span) }) { first, _ in first })
        }
        c.report(found.collapsed(block: address), in: item.module)
        if keys.isEmpty {
            var checker = SchemaChecker()
            checker.checkNames(block, schema: schema)
            c.report(checker.diagnostics, in: item.module)
        }
        let result = BlockResult(
            block: block, address: address, schema: schema, expansion: expansion, instances: instances)
        c.scopes.update(item.module) { $0.blockResults[item.name] = result }
    }

    /// Where a secret sits in an attribute whose expression read one: in a map written as a
    /// literal (`tags: { token: "${vars.password}", team: platform }`), only under the keys whose
    /// values read it (`tags.token`), recursively, as Terraform marks a value inside a map by its
    /// path; anything else (a list, a function's result, a JSON document, a computed or dotted
    /// key) as a whole. Each entry is evaluated again on its own, from `fresh` (the evaluator as
    /// it was before the attribute was evaluated).
    private static func secretPaths(_ expression: Expression, path: String, type: ValueType?, fresh: Evaluator) -> [String] {
        guard case .map(let entries) = expression.kind, type != .json, type != .string else { return [path] }
        var paths: [String] = []
        for entry in entries {
            var key = fresh
            let name = key.evaluate(entry.key).textForm
            guard let name, !key.readsSensitive, !name.contains(".") else { return [path] }
            var value = fresh
            _ = value.evaluate(entry.value)
            if value.readsSensitive {
                let field: ValueType? = if case .object(let fields)? = type { fields[name]?.type } else { .any }
                paths += secretPaths(entry.value, path: "\(path).\(name)", type: field, fresh: fresh)
            }
        }
        return paths.isEmpty ? [path] : paths
    }

    /// Per field of a block (or list of blocks) written as a literal, what the field's expression
    /// referred to, under `block.field` (`block.0.field` in a list; empty for a literal), so the
    /// plan JSON's `configuration` can name references field by field as Terraform does. Fields
    /// are evaluated again on their own for this; their values and diagnostics are the attribute's.
    private static func fieldReferences(
        _ expression: Expression, path: String, base: Evaluator, into references: inout [String: [String]]
    ) {
        switch expression.kind {
        case .map(let entries):
            for entry in entries {
                guard case .string(let field) = entry.key.kind else { continue }
                var evaluator = base
                evaluator.references = []
                evaluator.diagnostics = []
                _ = evaluator.evaluate(entry.value)
                references["\(path).\(field)"] = evaluator.references
                if !evaluator.references.isEmpty {
                    fieldReferences(entry.value, path: "\(path).\(field)", base: base, into: &references)
                }
            }
        case .list(let items):
            for (index, item) in items.enumerated() {
                fieldReferences(item, path: "\(path).\(index)", base: base, into: &references)
            }
        default:
            break
        }
    }

    /// Evaluates a block's `count` or `for_each` (`argument`), recording what it read: its value
    /// and whether evaluating it reported an error, or nil when it read a secret (instance keys
    /// are printed everywhere, so an expansion must not be computed from one).
    private static func expansionValue(
        _ expression: Expression, _ argument: String, module: String?, _ dependencies: inout Set<ResourceAddress>,
        _ inputs: inout Set<String>, _ c: inout Compilation
    ) -> (value: Value, failed: Bool)? {
        var evaluator = Evaluator(compilation: c, module: module)
        let value = evaluator.evaluate(expression)
        c.report(evaluator.diagnostics, in: module)
        dependencies.formUnion(evaluator.dependencies)
        inputs = evaluator.inputsUsed
        guard !evaluator.readsSensitive else {
            c.report([.sensitiveExpansion(argument, at: expression.span)], in: module)
            return nil
        }
        return (value, evaluator.diagnostics.hasErrors)
    }

    /// The instance keys `count` or `for_each` produce (one unkeyed instance without either).
    private static func expansionKeys(
        _ block: ResourceBlock, module: String?, _ dependencies: inout Set<ResourceAddress>, _ inputs: inout Set<String>,
        _ c: inout Compilation
    ) -> (Expansion, [Key]) {
        if let expression = block.count {
            guard let (value, failed) = expansionValue(expression, "count", module: module, &dependencies, &inputs, &c) else {
                return (.count, [])
            }
            if value.isUnknown {
                // A failed call or reference is unknown too, and its own error says why.
                if value != .unknown(.any), !failed, !c.standalone {
                    c.diagnostics.append(.expansionUnknown("count", at: expression.span))
                }
                return (.count, [])
            }
            guard let count = value.intValue, count >= 0, count <= maximumInstances else {
                c.diagnostics.append(
                    .error(
                        "`count` must be a whole number from 0 to \(maximumInstances), got \(value.textForm ?? value.typeName)",
                        at: expression.span))
                return (.count, [])
            }
            return (.count, (0..<count).map { Key(key: .index($0), each: nil, countIndex: $0) })
        }
        guard let expression = block.forEach else { return (.single, [Key(key: nil, each: nil, countIndex: nil)]) }
        guard let (value, failed) = expansionValue(expression, "for_each", module: module, &dependencies, &inputs, &c) else {
            return (.forEach(isMap: true), [])
        }
        // A failed call or reference evaluates to unknown, and its own error says why.
        let reportUnknown = !failed && !c.standalone
        switch value {
        case .list(let items):
            guard items.count <= maximumInstances else {
                c.diagnostics.append(
                    .error(
                        "`for_each` produces \(items.count) instances (at most \(maximumInstances))",
                        at: expression.span))
                return (.forEach(isMap: false), [])
            }
            if items.contains(where: { !$0.isKnown }) {
                if reportUnknown { c.diagnostics.append(.expansionUnknown("for_each", at: expression.span)) }
                return (.forEach(isMap: false), [])
            }
            // A list of strings keys instances by the strings (`private["us-east-1a"]`); any
            // other list keys them by position.
            let strings = items.compactMap(\.stringValue)
            if strings.count == items.count {
                var seen = Set<String>()
                for text in strings where !seen.insert(text).inserted {
                    c.diagnostics.append(
                        .error("`for_each` lists \"\(text)\" twice; instance keys must be unique", at: expression.span))
                    return (.forEach(isMap: false), [])
                }
                return (
                    .forEach(isMap: true),
                    strings.enumerated().map { index, text in
                        Key(
                            key: .name(text), each: .init(key: .string(text), value: .string(text), index: index),
                            countIndex: nil)
                    }
                )
            }
            return (
                .forEach(isMap: false),
                items.enumerated().map { index, item in
                    Key(key: .index(index), each: .init(key: .int(index), value: item, index: index), countIndex: nil)
                }
            )
        case .map(let members):
            return (
                .forEach(isMap: true),
                members.keys.sorted().enumerated().map { index, key in
                    Key(
                        key: .name(key), each: .init(key: .string(key), value: members[key] ?? .null, index: index),
                        countIndex: nil)
                }
            )
        case .unknown(let type):
            if type != .any, reportUnknown { c.diagnostics.append(.expansionUnknown("for_each", at: expression.span)) }
            return (.forEach(isMap: true), [])
        default:
            c.diagnostics.append(
                .error("`for_each` must be a list or a map, got \(value.typeName)", at: expression.span))
            return (.forEach(isMap: true), [])
        }
    }

    /// What AWS will store as tags: the stack's tags, the resource's own, and strata's ownership
    /// tags (written at create time, so nothing is ever untagged).
    private static func tagsAll(_ own: Value?, address: ResourceAddress, _ c: Compilation) -> Value {
        var merged = c.stackTags
        switch own {
        case .map(let members)?: merged.merge(members) { _, new in new }
        case .unknown?: return .unknown(.map(.string))
        default: break
        }
        merged["strata:stack"] = .string(c.stackName)
        merged["strata:address"] = .string(TagLimits.addressTag(address, type: address.type))
        return .map(merged)
    }

    /// The value references to an instance see: what was set, the server default for what was
    /// not, unknown for what AWS computes (or its live value, when the resource exists), null
    /// for the rest.
    private static func objectValue(_ values: [String: Value], schema: ResourceSchema, live: [String: Value]?) -> Value {
        var object: [String: Value] = [:]
        for (name, attribute) in schema.attributes {
            object[name] = complete(values[name], attribute, live: live?[name])
        }
        return .map(object)
    }

    /// One attribute as references see it; set nested blocks gain their unset fields too, so
    /// `cluster.vpc_config.cluster_security_group_id` is unknown (or live) rather than missing.
    private static func complete(_ value: Value?, _ attribute: AttributeSchema, live: Value? = nil) -> Value {
        guard let value else {
            if attribute.presence == .computed || attribute.presence == .optionalComputed {
                if let live, live != .null { return completeLive(live, attribute) }
                return attribute.serverDefault?.value ?? .unknown(attribute.type)
            }
            if let serverDefault = attribute.serverDefault { return serverDefault.value }
            return .null
        }
        switch (attribute.type, value) {
        case (.object(let fields), .map(let members)) where !fields.isEmpty:
            var liveMembers: [String: Value] = [:]
            if case .map(let members)? = live { liveMembers = members }
            var completed = members
            for (name, field) in fields where members[name] == nil {
                completed[name] = complete(nil, field, live: liveMembers[name])
            }
            return .map(completed)
        case (.list(.object(let fields)), .list(let items)) where !fields.isEmpty:
            let element = AttributeSchema(attribute.name, .object(fields), attribute.presence)
            var liveItems: [Value] = []
            if case .list(let list)? = live { liveItems = list }
            return .list(
                items.enumerated().map { index, item in
                    complete(item, element, live: index < liveItems.count ? liveItems[index] : nil)
                })
        default:
            return value
        }
    }

    /// A computed block as AWS reported it: fields it has not reported yet (a cluster's CA while
    /// it is still CREATING) are unknown, not missing, so references to them wait for apply.
    private static func completeLive(_ live: Value, _ attribute: AttributeSchema) -> Value {
        guard case .object(let fields) = attribute.type, !fields.isEmpty, case .map(let members) = live else { return live }
        var completed = members
        for (name, field) in fields where members[name] == nil {
            completed[name] = complete(nil, field)
        }
        return .map(completed)
    }
}

extension Diagnostic {
    static func outputNotMarkedSensitive(_ name: String, at span: SourceSpan) -> Diagnostic {
        .error(
            "output `\(name)` refers to a sensitive value", at: span,
            detail:
                "add `sensitive: true` to the output to confirm it may export a secret; `strata output` then prints it only when asked for it by name"
        )
    }

    /// Instance keys become addresses, which plans, events and tags print.
    static func sensitiveExpansion(_ what: String, at span: SourceSpan) -> Diagnostic {
        .error(
            "`\(what)` cannot use a sensitive value", at: span,
            detail: "instance keys appear in addresses, which plans, events and tags show in clear")
    }

    static func expansionUnknown(_ what: String, at span: SourceSpan) -> Diagnostic {
        .error(
            "`\(what)` must be known before apply", at: span,
            detail: "it depends on a value AWS computes; use inputs, variables or literals instead")
    }
}
