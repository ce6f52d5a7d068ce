import StrataModel
import StrataSyntax

/// Pass 3: build a scope per module instance and the stack root, bind module arguments to
/// declared inputs, and resolve every reference to the item it names (an input, a resource
/// block, a module output). Unknown names, missing inputs and misplaced `each`/`count` are
/// reported here, at the reference; each resolved reference becomes an ordering edge.
enum BindReferences {
    static func run(_ c: inout Compilation) {
        buildScopes(&c)
        addItems(&c)
        bindRoot(&c)
        for call in c.stack.modules where c.scopes[call.name.name] != nil {
            bindArguments(call, &c)
            bindModule(call.name.name, &c)
        }
    }

    private static func buildScopes(_ c: inout Compilation) {
        let paths = c.stack.modules.compactMap { $0.module?.path }
        for call in c.stack.modules {
            if let path = call.module?.path, paths.filter({ $0 == path }).count > 1 {
                c.sharedModuleCalls[call.name.name] = call.name.span
            }
        }
        var root = Scope(module: nil, file: c.stack.path)
        for block in c.stack.resources { root.blocks[block.name.name] = block }
        for output in c.stack.outputs { root.outputs[output.name.name] = output }
        c.scopes[nil] = root
        for call in c.stack.modules {
            if let block = root.blocks[call.name.name] {
                c.diagnostics.append(
                    .error(
                        "module `\(call.name.name)` has the same name as a resource of the stack", at: call.name.span,
                        notes: [.init("resource declared here", at: block.name.span)]))
            }
            guard let module = call.module else {
                c.brokenModules.insert(call.name.name)
                continue
            }
            var scope = Scope(module: call.name.name, file: module.path)
            for input in module.inputs { scope.inputs[input.name.name] = input }
            for block in module.resources { scope.blocks[block.name.name] = block }
            for output in module.outputs { scope.outputs[output.name.name] = output }
            c.scopes[call.name.name] = scope
        }
    }

    private static func addItems(_ c: inout Compilation) {
        for scope in c.scopes.byModule.values {
            for name in scope.blocks.keys { c.items.add(ItemID(module: scope.module, kind: .resource, name: name)) }
            for name in scope.outputs.keys { c.items.add(ItemID(module: scope.module, kind: .output, name: name)) }
            for name in scope.inputs.keys { c.items.add(ItemID(module: scope.module, kind: .input, name: name)) }
        }
    }

    // MARK: - Scopes

    private static func bindRoot(_ c: inout Compilation) {
        guard let root = c.scopes[nil] else { return }
        for block in c.stack.resources { bindBlock(block, in: root, &c) }
        for output in c.stack.outputs {
            let item = ItemID(module: nil, kind: .output, name: output.name.name)
            bind(output.value, from: item, in: root, each: false, count: false, &c)
        }
    }

    private static func bindModule(_ name: String, _ c: inout Compilation) {
        guard let scope = c.scopes[name], let module = c.stack.modules.first(where: { $0.name.name == name })?.module
        else { return }
        for block in module.resources { bindBlock(block, in: scope, &c) }
        for output in module.outputs {
            let item = ItemID(module: name, kind: .output, name: output.name.name)
            bind(output.value, from: item, in: scope, each: false, count: false, &c)
        }
    }

    private static func bindBlock(_ block: ResourceBlock, in scope: Scope, _ c: inout Compilation) {
        let item = ItemID(module: scope.module, kind: .resource, name: block.name.name)
        let each = block.forEach != nil
        let count = block.count != nil
        if let forEach = block.forEach { bind(forEach, from: item, in: scope, each: false, count: false, &c) }
        if let countExpression = block.count {
            bind(countExpression, from: item, in: scope, each: false, count: false, &c)
        }
        for attribute in block.attributes {
            bind(attribute.value, from: item, in: scope, each: each, count: count, &c)
        }
        for dependency in block.dependsOn {
            // `depends_on: [igw]` names blocks; `${igw}` works too.
            if case .string(let name) = dependency.kind {
                if scope.blocks[name] != nil {
                    addEdge(item, ItemID(module: scope.module, kind: .resource, name: name), dependency.span, &c)
                } else {
                    c.diagnostics.append(
                        Diagnostic.error("`depends_on` names unknown resource `\(name)`", at: dependency.span)
                            .suggesting(Suggestion.closest(to: name, in: scope.blocks.keys.sorted())))
                }
            } else {
                bind(dependency, from: item, in: scope, each: false, count: false, &c)
            }
        }
    }

    /// A module call's `with:`: every argument names a declared input, every required input is
    /// given. Arguments are evaluated in the stack's scope.
    private static func bindArguments(_ call: ModuleCall, _ c: inout Compilation) {
        guard let scope = c.scopes[call.name.name], let root = c.scopes[nil] else { return }
        var given = Set<String>()
        for argument in call.arguments {
            let name = argument.name.name
            guard scope.inputs[name] != nil else {
                c.diagnostics.append(
                    Diagnostic.error("module `\(call.name.name)` has no input `\(name)`", at: argument.name.span)
                        .suggesting(Suggestion.closest(to: name, in: scope.inputs.keys.sorted())))
                continue
            }
            given.insert(name)
            let item = ItemID(module: call.name.name, kind: .input, name: name)
            bind(argument.value, from: item, in: root, each: false, count: false, &c)
        }
        for input in call.module?.inputs ?? []
        where input.defaultValue == nil && !given.contains(input.name.name) && !c.standalone {
            c.diagnostics.append(.missingInput(input, module: call.name.name, at: call.argumentsSpan))
        }
    }

    // MARK: - References

    private static func addEdge(_ from: ItemID, _ to: ItemID, _ span: SourceSpan, _ c: inout Compilation) {
        c.items.addEdge(from: from, to: to)
        let edge = Compilation.ItemEdge(from: from, to: to)
        if c.edgeSpans[edge] == nil { c.edgeSpans[edge] = span }
    }

    private static func bind(
        _ expression: Expression, from item: ItemID, in scope: Scope, each: Bool, count: Bool, _ c: inout Compilation
    ) {
        for reference in expression.references() {
            if let target = resolve(reference, in: scope, each: each, count: count, &c) {
                addEdge(item, target, reference.fullSpan, &c)
            }
        }
    }

    static let eachAttributes = ["key", "value", "index"]
    static let stackAttributes = ["name", "region"]

    /// The item a reference names, or nil for builtins and errors (which are reported).
    private static func resolve(
        _ reference: Expression.Reference, in scope: Scope, each: Bool, count: Bool, _ c: inout Compilation
    ) -> ItemID? {
        func builtin(_ attributes: [String], _ example: String) {
            guard let attribute = reference.attribute, let span = reference.attributeSpan else {
                c.diagnostics.append(
                    .error(
                        "`\(reference.root)` must be followed by an attribute, as in `\(example)`", at: reference.span))
                return
            }
            if !attributes.contains(attribute) {
                c.diagnostics.append(
                    Diagnostic.error("`\(reference.root)` has no attribute `\(attribute)`", at: span)
                        .suggesting(Suggestion.closest(to: attribute, in: attributes)))
            }
        }
        switch reference.root {
        case "each":
            guard each else {
                c.diagnostics.append(
                    .error("`each` is only available in a resource with `for_each`", at: reference.span))
                return nil
            }
            builtin(eachAttributes, "each.key")
            return nil
        case "count":
            guard count else {
                c.diagnostics.append(.error("`count` is only available in a resource with `count`", at: reference.span))
                return nil
            }
            builtin(["index"], "count.index")
            return nil
        case "stack":
            builtin(stackAttributes, "stack.name")
            return nil
        case "zones":
            return nil
        case "inputs":
            guard let module = scope.module else {
                c.diagnostics.append(
                    .error("`inputs` is only available inside a module; the stack file uses `vars`", at: reference.span)
                )
                return nil
            }
            guard let name = reference.attribute, let span = reference.attributeSpan else {
                c.diagnostics.append(
                    .error("`inputs` must be followed by an input name, as in `inputs.cidr`", at: reference.span))
                return nil
            }
            guard scope.inputs[name] != nil else {
                c.diagnostics.append(
                    Diagnostic.error("module has no input `\(name)`", at: span)
                        .suggesting(Suggestion.closest(to: name, in: scope.inputs.keys.sorted())))
                return nil
            }
            return ItemID(module: module, kind: .input, name: name)
        case "vars":
            guard scope.module == nil else {
                c.diagnostics.append(
                    .error(
                        "`vars` is only available in the stack file; pass values to a module with `with:`",
                        at: reference.span))
                return nil
            }
            guard let name = reference.attribute, let span = reference.attributeSpan else {
                c.diagnostics.append(
                    .error("`vars` must be followed by a variable name, as in `vars.env`", at: reference.span))
                return nil
            }
            if c.vars[name] == nil {
                c.diagnostics.append(
                    Diagnostic.error("the stack declares no variable `\(name)`", at: span)
                        .suggesting(Suggestion.closest(to: name, in: c.vars.keys.sorted())))
            }
            return nil
        default:
            let name = reference.root
            if scope.blocks[name] != nil { return ItemID(module: scope.module, kind: .resource, name: name) }
            if scope.module == nil, let call = c.stack.modules.first(where: { $0.name.name == name }) {
                if c.brokenModules.contains(name) { return nil }
                guard let output = reference.attribute, let span = reference.attributeSpan else {
                    c.diagnostics.append(
                        .error(
                            "module `\(name)` must be followed by an output name, as in `\(name).<output>`",
                            at: reference.span))
                    return nil
                }
                guard let outputs = c.scopes[name]?.outputs, outputs[output] != nil else {
                    c.diagnostics.append(
                        Diagnostic.error(
                            "module `\(name)` has no output `\(output)`", at: span,
                            notes: [.init("module instantiated here", at: call.name.span)]
                        )
                        .suggesting(Suggestion.closest(to: output, in: (c.scopes[name]?.outputs.keys.sorted()) ?? [])))
                    return nil
                }
                return ItemID(module: name, kind: .output, name: output)
            }
            var candidates = Array(scope.blocks.keys) + ["each", "count", "stack", "zones"]
            candidates += scope.module == nil ? ["vars"] + c.stack.modules.map(\.name.name) : ["inputs"]
            c.diagnostics.append(
                .unknownReference(name, inModule: scope.module != nil, candidates: candidates, at: reference.span))
            return nil
        }
    }
}

extension Diagnostic {
    static func unknownReference(_ name: String, inModule: Bool, candidates: [String], at span: SourceSpan)
        -> Diagnostic
    {
        Diagnostic.error(
            "unknown reference `\(name)`", at: span,
            detail: inModule
                ? "a module can refer to its own resources, `inputs`, `stack` and `zones`"
                : "the stack file can refer to its resources, its modules' outputs, `vars`, `stack` and `zones`"
        )
        .suggesting(Suggestion.closest(to: name, in: candidates.sorted()))
    }

    static func missingInput(_ input: InputDeclaration, module: String, at span: SourceSpan) -> Diagnostic {
        .error(
            "module `\(module)` is missing required input `\(input.name.name)` (\(input.type))", at: span,
            notes: [.init("input declared here", at: input.name.span)])
    }
}
