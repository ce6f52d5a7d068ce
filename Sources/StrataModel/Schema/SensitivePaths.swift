import Foundation

/// Where secrets sit in a resource's attributes, and how they are kept out of what strata writes.
///
/// A secret is named by a path: a top-level attribute (`password`) or a dotted path into one
/// (`manifest.stringData`), as Terraform marks a value inside a map or list by its path. A path
/// through a list of blocks covers that field of every block.
extension ResourceSchema {
    /// The paths of `attributes` (desired or live) that hold secrets whatever the expressions
    /// were: attributes the schema marks sensitive, and a Kubernetes Secret's `data` and
    /// `stringData` (which the Kubernetes provider marks sensitive too), sorted.
    public func sensitivePaths(in attributes: [String: Value]) -> [String] {
        var paths = Set(self.attributes.values.filter(\.sensitive).map(\.name))
        if type == "kubernetes_manifest" {
            // Either side tells: the part of a live object strata applied may lack its kind.
            let secret = ["manifest", "object"].contains { name in
                if case .map(let object)? = attributes[name] { return Self.isSecret(object) }
                return false
            }
            for name in ["manifest", "object"] {
                switch attributes[name] {
                case .map(let object)? where secret:
                    for key in ["data", "stringData"] where object[key] != nil { paths.insert("\(name).\(key)") }
                case .string(let text)?:
                    // A manifest written as JSON text is one string: all of it, if it is a Secret.
                    if case .success(.map(let object)) = JSONText.decode(text), Self.isSecret(object) { paths.insert(name) }
                default: break
                }
            }
        }
        return paths.sorted()
    }

    private static func isSecret(_ object: [String: Value]) -> Bool {
        object["kind"]?.stringValue == "Secret" && object["apiVersion"]?.stringValue == "v1"
    }
}

extension Value {
    /// The key of ``sensitivePlaceholder``; `$` never starts an attribute name or a map key
    /// strata writes, so no value can be mistaken for it.
    public static let sensitiveMarkerKey = "$sensitive"

    /// What stands in for a secret wherever a value is written out: `{"$sensitive": true}` in
    /// JSON (plan files, `strata graph`), `(sensitive value)` in human output.
    public static let sensitivePlaceholder = Value.map([sensitiveMarkerKey: .bool(true)])

    public var isSensitivePlaceholder: Bool { self == .sensitivePlaceholder }

    /// This value with what lies at `path` replaced by ``sensitivePlaceholder``. Unknown and
    /// null values hold nothing to hide and stay as they are; a path into a plain value hides
    /// the whole value.
    public func redacting(path: ArraySlice<Substring>) -> Value {
        switch self {
        case .unknown, .null: return self
        case .map(var members) where !path.isEmpty:
            guard let key = path.first.map(String.init), let member = members[key] else { return self }
            members[key] = member.redacting(path: path.dropFirst())
            return .map(members)
        case .list(let items) where !path.isEmpty:
            return .list(items.map { $0.redacting(path: path) })
        default:
            return .sensitivePlaceholder
        }
    }
}

extension Dictionary where Key == String, Value == StrataModel.Value {
    /// These attributes with every secret at `paths` replaced by the placeholder.
    public func redacting(_ paths: [String]) -> [String: StrataModel.Value] {
        var out = self
        for path in paths {
            let parts = path.split(separator: ".")
            guard let name = parts.first.map(String.init), let value = out[name] else { continue }
            out[name] = value.redacting(path: parts.dropFirst())
        }
        return out
    }
}

extension Dictionary where Key == String, Value == StrataModel.Value {
    /// Every string at `paths`: the secrets themselves, to take out of text that was not built
    /// from values (an AWS error quoting what it refused).
    public func secretTexts(at paths: [String]) -> Set<String> {
        var texts = Set<String>()
        for path in paths {
            let parts = path.split(separator: ".")
            guard let name = parts.first.map(String.init) else { continue }
            self[name]?.collectStrings(at: parts.dropFirst(), into: &texts)
        }
        return texts
    }
}

extension Value {
    fileprivate func collectStrings(at path: ArraySlice<Substring>, into texts: inout Set<String>) {
        switch self {
        case .string(let text): texts.insert(text)
        case .list(let items): for item in items { item.collectStrings(at: path, into: &texts) }
        case .map(let members):
            if let key = path.first.map(String.init) {
                members[key]?.collectStrings(at: path.dropFirst(), into: &texts)
            } else {
                for member in members.values { member.collectStrings(at: path, into: &texts) }
            }
        default: break
        }
    }
}

extension String {
    /// This text with every one of `secrets` in it replaced by `(sensitive value)`, longest
    /// first (a secret containing another is hidden whole). Texts shorter than four characters
    /// are left alone: they would match ordinary words, and hiding `true` or `443` protects
    /// nothing.
    public func hiding(_ secrets: Set<String>) -> String {
        let texts = secrets.filter { $0.count >= 4 }.sorted { ($0.count, $0) > ($1.count, $1) }
        return texts.reduce(self) { $0.replacingOccurrences(of: $1, with: "(sensitive value)") }
    }
}

extension Sequence where Element == String {
    /// Whether one of these paths is `name` or lies inside it.
    public func covers(_ name: String) -> Bool {
        contains { $0 == name || $0.hasPrefix(name + ".") }
    }
}
