import Foundation
import StrataModel
import StrataSyntax

/// Pass 1: read the stack file and every module it instantiates, and turn their YAML into
/// declarations. Reports malformed YAML, unknown keys, bad names and types, and module sources
/// that do not exist. The only pass that touches the file system.
struct LoadFiles {
    var sources = SourceFiles()
    var diagnostics: [Diagnostic] = []
    private var modules: [String: ModuleFile?] = [:]

    static let stackKeys = ["stack", "region", "tags", "vars", "modules", "resources", "outputs", "description"]
    static let moduleKeys = ["inputs", "resources", "outputs", "description"]
    static let callKeys = ["source", "with", "description"]
    static let inputKeys = ["type", "default", "description", "sensitive"]

    // MARK: - Files

    private mutating func read(_ url: URL, from: SourceSpan?) -> YAMLNode? {
        let path = url.path
        // The size first: a file far past the bound is not read into memory at all.
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size > SourceText.maximumBytes {
            diagnostics.append(.fileTooLarge(size, at: path))
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            diagnostics.append(.error("cannot read `\(path)`", at: from))
            return nil
        }
        let (decoded, problem) = SourceText.decode([UInt8](data), file: path)
        guard let text = decoded else {
            // The lines as far as they decode, so the diagnostic can show its line.
            sources.add(path: path, text: String(decoding: data, as: UTF8.self))
            diagnostics += problem.map { [$0] } ?? []
            return nil
        }
        sources.add(path: path, text: text)
        let (node, found) = YAMLLoader.load(text, file: path)
        diagnostics += found
        guard let node else { return nil }
        guard node.pairs != nil else {
            let found = node.scalar?.text.isEmpty == true ? "nothing" : node.kindName
            diagnostics.append(.error("expected a mapping at the top of the file, found \(found)", at: node.span))
            return nil
        }
        return node
    }

    private mutating func expression(_ node: YAMLNode) -> Expression {
        let (expression, found) = Template.expression(from: node)
        diagnostics += found
        return expression
    }

    private mutating func string(_ node: YAMLNode, what: String) -> String? {
        guard let scalar = node.scalar, !scalar.text.isEmpty else {
            diagnostics.append(.error("\(what) must be a non-empty string, found \(node.kindName)", at: node.span))
            return nil
        }
        return scalar.text
    }

    /// `sensitive:`: a literal `true` or `false` (absent is false), never an expression, since
    /// what is secret must be known before anything is evaluated. A wrong value counts as true.
    private mutating func sensitiveFlag(_ node: YAMLNode?) -> Bool {
        guard let node else { return false }
        if let scalar = node.scalar, scalar.style == .plain, scalar.text == "true" || scalar.text == "false" {
            return scalar.text == "true"
        }
        diagnostics.append(
            .error("`sensitive` must be true or false, found \(node.scalar.map { "`\($0.text)`" } ?? node.kindName)", at: node.span))
        return true
    }

    private mutating func mapping(_ node: YAMLNode?, what: String) -> [YAMLNode.Pair] {
        guard let node else { return [] }
        if let pairs = node.pairs { return pairs }
        if let scalar = node.scalar, scalar.text.isEmpty, scalar.style == .plain { return [] }
        diagnostics.append(.error("\(what) must be a mapping, found \(node.kindName)", at: node.span))
        return []
    }

    /// Unknown keys are errors, except `x-…` ones (as in Compose files): a place for YAML
    /// anchors that other parts of the file merge with `<<: *name`.
    private mutating func checkKeys(_ node: YAMLNode, allowed: [String], what: String) {
        for pair in node.pairs ?? [] where !allowed.contains(pair.name) && !pair.name.hasPrefix("x-") {
            diagnostics.append(
                Diagnostic.error("unknown key `\(pair.name)` in \(what)", at: pair.key.span)
                    .suggesting(Suggestion.closest(to: pair.name, in: allowed)))
        }
    }

    private mutating func checkName(_ pair: YAMLNode.Pair, what: String) -> Named? {
        let name = pair.name
        let valid =
            name.first.map { $0.isLetter || $0 == "_" } == true
            && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }
        guard valid else {
            diagnostics.append(
                .error(
                    "invalid \(what) name `\(name)`", at: pair.key.span,
                    detail: "names start with a letter or `_` and hold letters, digits, `_` and `-`"))
            return nil
        }
        // Resources and modules are referred to by bare name, so they cannot take a builtin's.
        if what == "resource" || what == "module", Self.reservedNames.contains(name) {
            diagnostics.append(
                .error(
                    "`\(name)` cannot name a \(what): expressions use it for something else", at: pair.key.span,
                    detail: "reserved: \(Self.reservedNames.sorted().joined(separator: ", "))"))
            return nil
        }
        return Named(name: name, span: pair.key.span)
    }

    static let reservedNames: Set<String> = [
        "each", "count", "stack", "zones", "inputs", "vars", "module", "true", "false", "null",
    ]

    // MARK: - Stack

    mutating func loadStack(at url: URL) -> StackFile? {
        guard let root = read(url, from: nil) else { return nil }
        let file = url.path
        checkKeys(root, allowed: Self.stackKeys, what: "the stack file")
        let topSpan = SourceSpan(file: file, line: 1, column: 1)
        func required(_ key: String) -> (Named, Expression)? {
            guard let pair = root.pair(key) else {
                diagnostics.append(.error("the stack file has no `\(key)`", at: topSpan))
                return nil
            }
            return string(pair.value, what: "`\(key)`").map {
                (Named(name: $0, span: pair.value.span), expression(pair.value))
            }
        }
        let name = required("stack")
        let region = required("region")
        let tags = root["tags"].map { expression($0) }
        var vars: [VariableDeclaration] = []
        for pair in mapping(root["vars"], what: "`vars`") {
            guard let named = checkName(pair, what: "variable") else { continue }
            vars.append(variableDeclaration(named, pair.value))
        }
        var calls: [ModuleCall] = []
        let directory = url.deletingLastPathComponent()
        for pair in mapping(root["modules"], what: "`modules`") {
            guard let named = checkName(pair, what: "module") else { continue }
            guard pair.value.pairs != nil else {
                diagnostics.append(
                    .error("module `\(named.name)` must be a mapping with `source:`", at: pair.value.span))
                continue
            }
            checkKeys(pair.value, allowed: Self.callKeys, what: "module `\(named.name)`")
            guard let sourcePair = pair.value.pair("source"), let source = string(sourcePair.value, what: "`source`")
            else {
                if pair.value.pair("source") == nil {
                    diagnostics.append(.error("module `\(named.name)` has no `source`", at: named.span))
                }
                continue
            }
            let sourceSpan = sourcePair.value.span
            var arguments: [AttributeEntry] = []
            let withPair = pair.value.pair("with")
            for argument in mapping(withPair?.value, what: "`with`") {
                arguments.append(
                    AttributeEntry(
                        name: Named(name: argument.name, span: argument.key.span), value: expression(argument.value)))
            }
            let module = loadModule(source: source, relativeTo: directory, at: sourceSpan)
            calls.append(
                ModuleCall(
                    name: named, source: Named(name: source, span: sourceSpan), arguments: arguments,
                    argumentsSpan: withPair?.key.span ?? named.span, module: module))
        }
        let resources = resourceBlocks(root["resources"])
        let outputs = outputDeclarations(root["outputs"])
        return StackFile(
            path: file, name: name?.0 ?? Named(name: "stack", span: topSpan),
            region: region?.0 ?? Named(name: "us-east-1", span: topSpan), nameExpression: name?.1,
            regionExpression: region?.1, tags: tags, vars: vars, modules: calls, resources: resources,
            outputs: outputs)
    }

    // MARK: - Modules

    private mutating func loadModule(source: String, relativeTo directory: URL, at span: SourceSpan) -> ModuleFile? {
        var url = URL(fileURLWithPath: source, relativeTo: directory).standardizedFileURL
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            url = url.appendingPathComponent("module.yaml")
        }
        guard FileManager.default.fileExists(atPath: url.path) else {
            let parent = URL(fileURLWithPath: source, relativeTo: directory).standardizedFileURL
                .deletingLastPathComponent()
            let siblings = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
            let last = URL(fileURLWithPath: source).lastPathComponent
            let suggestion = Suggestion.closest(to: last, in: siblings.sorted()).map { candidate -> String in
                let base = source.hasSuffix(last) ? String(source.dropLast(last.count)) : ""
                return base + candidate
            }
            diagnostics.append(
                Diagnostic.error(
                    "module source `\(source)` not found", at: span,
                    detail: "a source is a folder holding module.yaml (or a YAML file), relative to the stack file"
                ).suggesting(suggestion))
            return nil
        }
        return loadModule(at: url, from: span)
    }

    /// Loads one module file (once, however many stacks or calls use it).
    mutating func loadModule(at url: URL, from span: SourceSpan?) -> ModuleFile? {
        let path = url.standardizedFileURL.path
        if let cached = modules[path] { return cached }
        guard let root = read(URL(fileURLWithPath: path), from: span) else {
            modules[path] = .some(nil)
            return nil
        }
        checkKeys(root, allowed: Self.moduleKeys, what: "a module file")
        var inputs: [InputDeclaration] = []
        for pair in mapping(root["inputs"], what: "`inputs`") {
            guard let named = checkName(pair, what: "input") else { continue }
            inputs.append(inputDeclaration(named, pair.value))
        }
        let module = ModuleFile(
            path: path, inputs: inputs, resources: resourceBlocks(root["resources"]),
            outputs: outputDeclarations(root["outputs"]), description: root["description"]?.scalar?.text)
        modules[path] = module
        return module
    }

    /// A variable is declared with `{ type, default, description }` when its mapping has a
    /// `type` and nothing else; any other value is the default itself.
    private mutating func variableDeclaration(_ name: Named, _ node: YAMLNode) -> VariableDeclaration {
        let declarationKeys: Set<String> = ["type", "default", "description", "sensitive"]
        guard let pairs = node.pairs, pairs.contains(where: { $0.name == "type" }),
            pairs.allSatisfy({ declarationKeys.contains($0.name) })
        else {
            return VariableDeclaration(
                name: name, type: nil, typeSpan: nil, defaultValue: expression(node), description: nil)
        }
        let input = inputDeclaration(name, node)
        return VariableDeclaration(
            name: name, type: input.type, typeSpan: input.typeSpan, defaultValue: input.defaultValue,
            description: input.description, sensitive: input.sensitive)
    }

    private mutating func inputDeclaration(_ name: Named, _ node: YAMLNode) -> InputDeclaration {
        // `zones: int` is shorthand for `zones: { type: int }`.
        var typeNode: YAMLNode? = node
        var defaultNode: YAMLNode?
        var description: String?
        var sensitive = false
        if node.pairs != nil {
            checkKeys(node, allowed: Self.inputKeys, what: "input `\(name.name)`")
            typeNode = node["type"]
            defaultNode = node["default"]
            description = node["description"]?.scalar?.text
            sensitive = sensitiveFlag(node["sensitive"])
        }
        var type = ValueType.any
        let typeSpan = typeNode?.span ?? name.span
        if let typeNode {
            if let scalar = typeNode.scalar {
                switch TypeExpression.parse(scalar.text) {
                case .success(let parsed): type = parsed
                case .failure(let problem):
                    diagnostics.append(
                        .error(
                            problem.text,
                            at: scalar.positions.span(from: problem.offset ?? 0, to: (problem.offset ?? 0) + 1)))
                }
            } else {
                diagnostics.append(
                    .error("an input type must be written as text, like `list(string)`", at: typeNode.span))
            }
        }
        return InputDeclaration(
            name: name, type: type, typeSpan: typeSpan, defaultValue: defaultNode.map { expression($0) },
            description: description, sensitive: sensitive)
    }

    private mutating func resourceBlocks(_ node: YAMLNode?) -> [ResourceBlock] {
        var blocks: [ResourceBlock] = []
        for pair in mapping(node, what: "`resources`") {
            guard let named = checkName(pair, what: "resource") else { continue }
            guard let body = pair.value.pairs else {
                diagnostics.append(
                    .error("resource `\(named.name)` must be a mapping with a `type:`", at: pair.value.span))
                continue
            }
            guard let typePair = pair.value.pair("type"), let type = string(typePair.value, what: "`type`") else {
                if pair.value.pair("type") == nil {
                    diagnostics.append(.error("resource `\(named.name)` has no `type`", at: named.span))
                }
                continue
            }
            var block = ResourceBlock(
                name: named, type: Named(name: type, span: typePair.value.span), forEach: nil, count: nil,
                dependsOn: [],
                attributes: [], span: named.span.through(pair.value.span))
            for entry in body {
                switch entry.name {
                case "type": continue
                case "for_each": block.forEach = expression(entry.value)
                case "count": block.count = expression(entry.value)
                case "attributes":
                    // Attributes whose names are taken by the block's own keys (`type` of
                    // `aws_security_group_rule`, say) are written here; any other may be too.
                    for attribute in mapping(entry.value, what: "`attributes`") {
                        block.attributes.append(
                            AttributeEntry(
                                name: Named(name: attribute.name, span: attribute.key.span),
                                value: expression(attribute.value)))
                    }
                case "depends_on":
                    if let items = entry.value.items {
                        block.dependsOn = items.map { expression($0) }
                    } else {
                        block.dependsOn = [expression(entry.value)]
                    }
                default:
                    block.attributes.append(
                        AttributeEntry(
                            name: Named(name: entry.name, span: entry.key.span), value: expression(entry.value)))
                }
            }
            if let forEach = block.forEach, block.count != nil {
                diagnostics.append(.error("a resource cannot have both `for_each` and `count`", at: forEach.span))
            }
            blocks.append(block)
        }
        return blocks
    }

    private mutating func outputDeclarations(_ node: YAMLNode?) -> [OutputDeclaration] {
        var outputs: [OutputDeclaration] = []
        for pair in mapping(node, what: "`outputs`") {
            guard let named = checkName(pair, what: "output") else { continue }
            // `{ value: ..., description: ... }` or the value itself.
            if let body = pair.value.pairs, let value = pair.value["value"],
                body.allSatisfy({ $0.name == "value" || $0.name == "description" || $0.name == "sensitive" })
            {
                outputs.append(OutputDeclaration(name: named, value: expression(value), sensitive: sensitiveFlag(pair.value["sensitive"])))
            } else {
                outputs.append(OutputDeclaration(name: named, value: expression(pair.value)))
            }
        }
        return outputs
    }
}
