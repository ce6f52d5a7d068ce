import Foundation

#if canImport(FoundationXML)
import FoundationXML
import StrataModel
#endif

/// An XML element as a plain value: the shape every query/XML response (EC2, IAM, STS) is read
/// into. Namespaces are dropped from names; text is the element's own character data, trimmed.
public struct XMLNode: Sendable, Equatable {
    public var name: String
    public var attributes: [String: String]
    public var children: [XMLNode]
    public var text: String

    public init(name: String, attributes: [String: String] = [:], children: [XMLNode] = [], text: String = "") {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// The first child with this name.
    public func child(_ name: String) -> XMLNode? {
        children.first { $0.name == name }
    }

    /// Every child with this name.
    public func children(_ name: String) -> [XMLNode] {
        children.filter { $0.name == name }
    }

    /// The element at a path of child names (`node["vpcSet", "item"]`), nil if any step is missing.
    public subscript(path: String...) -> XMLNode? {
        var node = self
        for step in path {
            guard let next = node.child(step) else { return nil }
            node = next
        }
        return node
    }

    /// The first element with this name anywhere below (depth first), self included.
    public func first(named name: String) -> XMLNode? {
        if self.name == name { return self }
        for child in children {
            if let found = child.first(named: name) { return found }
        }
        return nil
    }

    /// The items of an AWS XML list: the `<item>` (EC2) or `<member>` (query) children.
    public var items: [XMLNode] {
        children.filter { $0.name == "item" || $0.name == "member" }
    }

    /// Parses an XML document into its root element. A document type declaration is refused
    /// unread: AWS never sends one, and its entities are how a hostile endpoint makes a few
    /// hundred bytes expand to gigabytes.
    public static func parse(_ data: Data) throws -> XMLNode {
        if data.range(of: Data("<!DOCTYPE".utf8)) != nil {
            throw ResponseDecodingError(what: "XML", detail: "it declares a document type (<!DOCTYPE>), which AWS never sends", body: data)
        }
        // AWS answers in UTF-8. FoundationXML traps on a name that is not (a crash found by
        // ResponseFuzzTests), so the bytes are checked before it sees them.
        if let offset = invalidUTF8Offset(data) {
            throw ResponseDecodingError(what: "XML", detail: "it is not valid UTF-8 (byte \(offset))", body: data)
        }
        let parser = XMLParser(data: data)
        let builder = XMLTreeBuilder()
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), let root = builder.root else {
            if builder.tooDeep {
                throw ResponseDecodingError(
                    what: "XML", detail: "its elements nest more than \(XMLTreeBuilder.maximumDepth) deep", body: data)
            }
            let reason =
                parser.parserError.map {
                    "not well-formed at line \(parser.lineNumber), column \(parser.columnNumber) (libxml2 error \(($0 as NSError).code))"
                }
                ?? "it has no root element"
            throw ResponseDecodingError(what: "XML", detail: reason, body: data)
        }
        return root
    }

    /// Where the first byte that is not part of valid UTF-8 is, if one is.
    static func invalidUTF8Offset(_ data: Data) -> Int? {
        var parser = Unicode.UTF8.ForwardParser()
        var bytes = data.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// The readable JSON form: elements with only text become strings; `<item>`/`<member>` lists
    /// and repeated names become arrays; an empty EC2 `...Set` becomes `[]`.
    public func toJSON() -> JSONValue {
        .object([name: contentJSON()])
    }

    func contentJSON() -> JSONValue {
        if children.isEmpty {
            if text.isEmpty && name.hasSuffix("Set") { return .array([]) }
            return .string(text)
        }
        if children.allSatisfy({ $0.name == "item" || $0.name == "member" }) {
            return .array(children.map { $0.contentJSON() })
        }
        var members: [String: JSONValue] = [:]
        var counts: [String: Int] = [:]
        for child in children { counts[child.name, default: 0] += 1 }
        for child in children {
            let value = child.contentJSON()
            if counts[child.name, default: 0] > 1 {
                if case .array(var list) = members[child.name] {
                    list.append(value)
                    members[child.name] = .array(list)
                } else {
                    members[child.name] = .array([value])
                }
            } else {
                members[child.name] = value
            }
        }
        return .object(members)
    }
}

private final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    /// How deep elements may nest. AWS answers nest about a dozen levels; every walk over an
    /// ``XMLNode`` (and its deallocation) recurses once per level, so 20,000 levels from a
    /// hostile endpoint overflowed the stack.
    static let maximumDepth = 128

    private var stack: [XMLNode] = []
    private var texts: [String] = []
    var root: XMLNode?
    private(set) var tooDeep = false

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName qName: String?,
        attributes attributeDict: [String: String] = [:]
    ) {
        guard stack.count < Self.maximumDepth else {
            tooDeep = true
            parser.abortParsing()
            return
        }
        stack.append(XMLNode(name: elementName, attributes: attributeDict))
        texts.append("")
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !texts.isEmpty else { return }
        texts[texts.count - 1] += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        guard !texts.isEmpty else { return }
        texts[texts.count - 1] += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard var node = stack.popLast(), let text = texts.popLast() else { return }
        node.text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if stack.isEmpty {
            root = node
        } else {
            stack[stack.count - 1].children.append(node)
        }
    }
}
