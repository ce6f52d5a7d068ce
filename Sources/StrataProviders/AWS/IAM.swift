import AWSClient
import Foundation
import StrataModel

/// The IAM calls strata makes, and nothing else: typed request building in the query encoding
/// (`Tags.member.N.Key`), the account snapshot discovery reads once per plan
/// (GetAccountAuthorizationDetails), and readers for the answers' shapes. Wire names follow
/// botocore's `iam/2010-05-08` model.
struct IAM: Sendable {
    typealias Parameters = [(name: String, value: String)]

    let client: AWSClient
    let cache: DiscoveryCache

    init(_ context: ProviderContext) {
        client = context.client
        cache = context.cache
    }

    /// One call. IAM takes no client tokens, so only reads are marked idempotent; a create whose
    /// answer was lost is caught by the provider's adoption path (EntityAlreadyExists).
    @discardableResult
    func call(_ action: String, _ parameters: Parameters = []) async throws -> XMLNode {
        try await client.send(.query(.iam, action: action, parameters: parameters)).xml()
    }

    /// Every `member` of `list` over all pages of a Marker-paginated IAM read.
    func paged(_ action: String, list: String, _ parameters: Parameters) async throws -> [XMLNode] {
        try await client.queryItems(.iam, action, parameters, token: "Marker", nextToken: Pagination.iamMarker) {
            $0.first(named: list)?.items ?? []
        }
    }

    // MARK: - The account snapshot

    /// Roles (with tags, inline policies, attached policies and instance profiles) and
    /// customer-managed policies (with every version's document) under `pathPrefix`, from one
    /// paginated GetAccountAuthorizationDetails shared by every IAM type of a plan.
    func snapshot(pathPrefix: String) async throws -> IAMSnapshot {
        let iam = self
        return try await cache.value("iam:snapshot") {
            var roles: [XMLNode] = []
            var policies: [XMLNode] = []
            let pages = iam.client.pages(
                { marker in
                    var parameters: Parameters = [
                        (name: "Filter.member.1", value: "Role"), (name: "Filter.member.2", value: "LocalManagedPolicy"),
                        (name: "MaxItems", value: "1000"),
                    ]
                    if let marker { parameters.append((name: "Marker", value: marker)) }
                    return .query(.iam, action: "GetAccountAuthorizationDetails", parameters: parameters)
                },
                nextToken: Pagination.iamMarker)
            for try await page in pages {
                let xml = try page.xml()
                roles += xml.first(named: "RoleDetailList")?.items ?? []
                policies += xml.first(named: "Policies")?.items ?? []
            }
            return IAMSnapshot(roles: roles, policies: policies)
        }.filtered(pathPrefix: pathPrefix)
    }

    /// Roles under `pathPrefix` as ListRoles reports them: the one read that carries a role's
    /// description and maximum session duration (GetAccountAuthorizationDetails omits both).
    func roles(pathPrefix: String) async throws -> [String: XMLNode] {
        let iam = self
        return try await cache.value("iam:roles:\(pathPrefix)") {
            let roles = try await iam.paged("ListRoles", list: "Roles", [(name: "PathPrefix", value: pathPrefix)])
            var byName: [String: XMLNode] = [:]
            for role in roles {
                if let name = role.child("RoleName")?.text { byName[name] = role }
            }
            return byName
        }
    }

    /// Forget the snapshot after a write, so the next discovery reads IAM again.
    func invalidate() async {
        await cache.invalidate(prefix: "iam:")
    }

    /// Runs a write, then forgets the snapshot whether the write succeeded or not (a failed
    /// write may have changed something too).
    @discardableResult
    func writing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            let result = try await body()
            await invalidate()
            return result
        } catch {
            await invalidate()
            throw error
        }
    }

    /// A delete: a write (``writing(_:)``) in which "not found" means it is already gone.
    func deleting(_ body: () async throws -> Void) async throws {
        do {
            try await writing(body)
        } catch let error as AWSError where error.isNotFound {
            return
        }
    }

    // MARK: - Encoding

    /// `Tags.member.N.Key` / `.Value`, sorted so requests are stable.
    static func tags(_ tags: [String: String], prefix: String = "Tags") -> Parameters {
        QueryValue.list(
            tags.sorted { $0.key < $1.key }.map {
                .structure([(name: "Key", value: .string($0.key)), (name: "Value", value: .string($0.value))])
            }
        ).flattened(prefix: prefix, protocol: .query)
    }

    /// `Tag<Kind>` and `Untag<Kind>` (`Role`, `Policy`, `InstanceProfile`,
    /// `OpenIDConnectProvider`) for the resource `target` names, for ``TagSync``.
    func tagCalls(_ kind: String, _ target: Parameters) -> TagCalls {
        TagCalls(
            tag: { try await call("Tag\(kind)", target + IAM.tags($0)) },
            untag: { try await call("Untag\(kind)", target + IAM.list("TagKeys", $0)) })
    }

    /// `Name.member.N` for a list of strings.
    static func list(_ name: String, _ values: [String]) -> Parameters {
        QueryValue.list(values.map { .string($0) }).flattened(prefix: name, protocol: .query)
    }

    // MARK: - Decoding

    /// The `Tags` list of an answer element.
    static func tags(of node: XMLNode) -> [String: String] {
        var tags: [String: String] = [:]
        for tag in node.child("Tags")?.items ?? [] {
            if let key = tag.child("Key")?.text { tags[key] = tag.child("Value")?.text ?? "" }
        }
        return tags
    }

    /// A policy document as IAM returns it: URL-encoded JSON (RFC 3986). Decoded, and returned
    /// as given when it is not encoded (some endpoints answer plain JSON).
    static func decodeDocument(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") { return trimmed }
        return trimmed.removingPercentEncoding ?? trimmed
    }

    /// A text child, nil when absent or empty (IAM omits or empties unset members alike).
    static func text(_ node: XMLNode, _ name: String) -> String? {
        guard let value = node.child(name)?.text, !value.isEmpty else { return nil }
        return value
    }
}

/// What GetAccountAuthorizationDetails said about the stack's path.
struct IAMSnapshot: Sendable {
    /// `RoleDetail` elements.
    var roles: [XMLNode]
    /// `ManagedPolicyDetail` elements of customer-managed policies.
    var policies: [XMLNode]

    func filtered(pathPrefix: String) -> IAMSnapshot {
        func under(_ node: XMLNode) -> Bool { node.child("Path")?.text.hasPrefix(pathPrefix) ?? false }
        return IAMSnapshot(roles: roles.filter(under), policies: policies.filter(under))
    }
}

extension IAM {
    /// The IAM path a resource is created under: the stack's path, with the stack's own `path`
    /// attribute (relative to it) appended, so `path: /ci/` lives at `/strata/<stack>/ci/`.
    static func fullPath(_ userPath: String?, stackPath: String) -> String {
        guard var relative = userPath, relative != "/" else { return stackPath }
        while relative.hasPrefix("/") { relative.removeFirst() }
        if !relative.hasSuffix("/") { relative += "/" }
        return stackPath + relative
    }

    /// The `path` attribute as the stack wrote it: the live path with the stack's prefix removed.
    static func userPath(_ livePath: String, stackPath: String) -> String {
        guard livePath.hasPrefix(stackPath) else { return livePath }
        return "/" + livePath.dropFirst(stackPath.count)
    }
}
