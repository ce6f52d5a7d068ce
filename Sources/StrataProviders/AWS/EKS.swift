import AWSClient
import Foundation
import StrataModel

/// The EKS calls strata makes, and only those (REST-JSON, botocore's `eks` 2017-11-01 model).
/// Requests and answers stay in EKS's wire names (`resourcesVpcConfig`, `scalingConfig`); the
/// providers map them to catalog attributes. Errors are ``AWSError`` unchanged.
public struct EKS: Sendable {
    let client: AWSClient

    init(_ client: AWSClient) { self.client = client }

    // MARK: - Clusters

    /// `CreateCluster`; `body` carries `clientRequestToken`, so a resend is answered with the first result.
    func createCluster(_ body: JSONValue) async throws -> JSONValue {
        try await call("CreateCluster", "POST", "/clusters", body: body, idempotent: true)["cluster"] ?? [:]
    }

    /// `DescribeCluster`; nil when there is no such cluster.
    func describeCluster(_ name: String) async throws -> JSONValue? {
        try await orNil { try await call("DescribeCluster", "GET", "/clusters/\(seg(name))")["cluster"] }
    }

    func deleteCluster(_ name: String) async throws {
        _ = try await call("DeleteCluster", "DELETE", "/clusters/\(seg(name))", idempotent: true)
    }

    /// `UpdateClusterConfig` (one kind of change per call: vpc access, logging, access config, ...); the update.
    func updateClusterConfig(_ name: String, _ body: JSONValue) async throws -> EKSUpdate {
        let answer = try await call("UpdateClusterConfig", "POST", "/clusters/\(seg(name))/update-config", body: body, idempotent: true)
        return EKSUpdate(answer["update"] ?? [:])
    }

    /// `UpdateClusterVersion` to the next minor.
    func updateClusterVersion(_ name: String, version: String, force: Bool, token: String) async throws -> EKSUpdate {
        var body: [String: JSONValue] = ["version": .string(version), "clientRequestToken": .string(token)]
        if force { body["force"] = true }
        let answer = try await call("UpdateClusterVersion", "POST", "/clusters/\(seg(name))/updates", body: .object(body), idempotent: true)
        return EKSUpdate(answer["update"] ?? [:])
    }

    /// `DescribeUpdate` of a cluster, node group or add-on update.
    func describeUpdate(cluster: String, id: String, nodegroup: String? = nil, addon: String? = nil) async throws -> EKSUpdate {
        var query: [(name: String, value: String)] = []
        if let nodegroup { query.append((name: "nodegroupName", value: nodegroup)) }
        if let addon { query.append((name: "addonName", value: addon)) }
        let answer = try await call("DescribeUpdate", "GET", "/clusters/\(seg(cluster))/updates/\(seg(id))", query: query)
        return EKSUpdate(answer["update"] ?? [:])
    }

    /// `AssociateEncryptionConfig`: envelope encryption on a running cluster (it cannot be removed).
    func associateEncryptionConfig(_ name: String, _ config: JSONValue, token: String) async throws -> EKSUpdate {
        let answer = try await call(
            "AssociateEncryptionConfig", "POST", "/clusters/\(seg(name))/encryption-config/associate",
            body: ["encryptionConfig": config, "clientRequestToken": .string(token)], idempotent: true)
        return EKSUpdate(answer["update"] ?? [:])
    }

    // MARK: - Node groups

    func createNodegroup(cluster: String, _ body: JSONValue) async throws -> JSONValue {
        try await call("CreateNodegroup", "POST", "/clusters/\(seg(cluster))/node-groups", body: body, idempotent: true)["nodegroup"] ?? [:]
    }

    func describeNodegroup(cluster: String, name: String) async throws -> JSONValue? {
        try await orNil { try await call("DescribeNodegroup", "GET", "/clusters/\(seg(cluster))/node-groups/\(seg(name))")["nodegroup"] }
    }

    func listNodegroups(cluster: String) async throws -> [String] {
        try await names("ListNodegroups", "/clusters/\(seg(cluster))/node-groups", key: "nodegroups")
    }

    func updateNodegroupConfig(cluster: String, name: String, _ body: JSONValue) async throws -> EKSUpdate {
        let answer = try await call(
            "UpdateNodegroupConfig", "POST", "/clusters/\(seg(cluster))/node-groups/\(seg(name))/update-config", body: body,
            idempotent: true)
        return EKSUpdate(answer["update"] ?? [:])
    }

    func updateNodegroupVersion(cluster: String, name: String, _ body: JSONValue) async throws -> EKSUpdate {
        let answer = try await call(
            "UpdateNodegroupVersion", "POST", "/clusters/\(seg(cluster))/node-groups/\(seg(name))/update-version", body: body,
            idempotent: true)
        return EKSUpdate(answer["update"] ?? [:])
    }

    func deleteNodegroup(cluster: String, name: String) async throws {
        _ = try await call("DeleteNodegroup", "DELETE", "/clusters/\(seg(cluster))/node-groups/\(seg(name))", idempotent: true)
    }

    // MARK: - Add-ons

    func createAddon(cluster: String, _ body: JSONValue) async throws -> JSONValue {
        try await call("CreateAddon", "POST", "/clusters/\(seg(cluster))/addons", body: body, idempotent: true)["addon"] ?? [:]
    }

    func describeAddon(cluster: String, name: String) async throws -> JSONValue? {
        try await orNil { try await call("DescribeAddon", "GET", "/clusters/\(seg(cluster))/addons/\(seg(name))")["addon"] }
    }

    func listAddons(cluster: String) async throws -> [String] {
        try await names("ListAddons", "/clusters/\(seg(cluster))/addons", key: "addons")
    }

    func updateAddon(cluster: String, name: String, _ body: JSONValue) async throws -> EKSUpdate {
        let answer = try await call(
            "UpdateAddon", "POST", "/clusters/\(seg(cluster))/addons/\(seg(name))/update", body: body, idempotent: true)
        return EKSUpdate(answer["update"] ?? [:])
    }

    func deleteAddon(cluster: String, name: String, preserve: Bool) async throws {
        _ = try await call(
            "DeleteAddon", "DELETE", "/clusters/\(seg(cluster))/addons/\(seg(name))",
            query: preserve ? [(name: "preserve", value: "true")] : [], idempotent: true)
    }

    // MARK: - Access entries and policies

    func createAccessEntry(cluster: String, _ body: JSONValue) async throws -> JSONValue {
        try await call("CreateAccessEntry", "POST", "/clusters/\(seg(cluster))/access-entries", body: body, idempotent: true)["accessEntry"]
            ?? [:]
    }

    func describeAccessEntry(cluster: String, principal: String) async throws -> JSONValue? {
        try await orNil {
            try await call("DescribeAccessEntry", "GET", "/clusters/\(seg(cluster))/access-entries/\(seg(principal))")["accessEntry"]
        }
    }

    func listAccessEntries(cluster: String) async throws -> [String] {
        try await names("ListAccessEntries", "/clusters/\(seg(cluster))/access-entries", key: "accessEntries")
    }

    func updateAccessEntry(cluster: String, principal: String, _ body: JSONValue) async throws -> JSONValue {
        try await call(
            "UpdateAccessEntry", "POST", "/clusters/\(seg(cluster))/access-entries/\(seg(principal))", body: body, idempotent: true)[
                "accessEntry"] ?? [:]
    }

    func deleteAccessEntry(cluster: String, principal: String) async throws {
        _ = try await call("DeleteAccessEntry", "DELETE", "/clusters/\(seg(cluster))/access-entries/\(seg(principal))", idempotent: true)
    }

    /// `AssociateAccessPolicy`: setting the same policy again replaces its scope, so it is safe to resend.
    func associateAccessPolicy(cluster: String, principal: String, policyARN: String, scope: JSONValue) async throws -> JSONValue {
        try await call(
            "AssociateAccessPolicy", "POST", "/clusters/\(seg(cluster))/access-entries/\(seg(principal))/access-policies",
            body: ["policyArn": .string(policyARN), "accessScope": scope], idempotent: true)["associatedAccessPolicy"] ?? [:]
    }

    func listAssociatedAccessPolicies(cluster: String, principal: String) async throws -> [JSONValue] {
        try await items(
            "ListAssociatedAccessPolicies", "/clusters/\(seg(cluster))/access-entries/\(seg(principal))/access-policies",
            key: "associatedAccessPolicies")
    }

    func disassociateAccessPolicy(cluster: String, principal: String, policyARN: String) async throws {
        _ = try await call(
            "DisassociateAccessPolicy", "DELETE",
            "/clusters/\(seg(cluster))/access-entries/\(seg(principal))/access-policies/\(seg(policyARN))", idempotent: true)
    }

    // MARK: - Pod identity associations

    func createPodIdentityAssociation(cluster: String, _ body: JSONValue) async throws -> JSONValue {
        try await call(
            "CreatePodIdentityAssociation", "POST", "/clusters/\(seg(cluster))/pod-identity-associations", body: body, idempotent: true)[
                "association"] ?? [:]
    }

    func describePodIdentityAssociation(cluster: String, id: String) async throws -> JSONValue? {
        try await orNil {
            try await call("DescribePodIdentityAssociation", "GET", "/clusters/\(seg(cluster))/pod-identity-associations/\(seg(id))")[
                "association"]
        }
    }

    /// Summaries (`associationId`, `namespace`, `serviceAccount`), every page.
    func listPodIdentityAssociations(cluster: String) async throws -> [JSONValue] {
        try await items("ListPodIdentityAssociations", "/clusters/\(seg(cluster))/pod-identity-associations", key: "associations")
    }

    func updatePodIdentityAssociation(cluster: String, id: String, _ body: JSONValue) async throws -> JSONValue {
        try await call(
            "UpdatePodIdentityAssociation", "POST", "/clusters/\(seg(cluster))/pod-identity-associations/\(seg(id))", body: body,
            idempotent: true)[
                "association"] ?? [:]
    }

    func deletePodIdentityAssociation(cluster: String, id: String) async throws {
        _ = try await call(
            "DeletePodIdentityAssociation", "DELETE", "/clusters/\(seg(cluster))/pod-identity-associations/\(seg(id))", idempotent: true)
    }

    // MARK: - Tags

    func tagResource(arn: String, tags: [String: String]) async throws {
        guard !tags.isEmpty else { return }
        _ = try await call(
            "TagResource", "POST", "/tags/\(seg(arn))", body: ["tags": .object(tags.mapValues { .string($0) })], idempotent: true)
    }

    func untagResource(arn: String, keys: [String]) async throws {
        guard !keys.isEmpty else { return }
        _ = try await call(
            "UntagResource", "DELETE", "/tags/\(seg(arn))", query: keys.sorted().map { (name: "tagKeys", value: $0) }, idempotent: true)
    }

    /// TagResource and UntagResource for one resource, for ``TagSync``.
    func tagCalls(arn: String) -> TagCalls {
        TagCalls(tag: { try await tagResource(arn: arn, tags: $0) }, untag: { try await untagResource(arn: arn, keys: $0) })
    }

    // MARK: - Plumbing

    private func seg(_ value: String) -> String { AWSOperation.pathSegment(value) }

    private func call(
        _ action: String, _ method: String, _ path: String, query: [(name: String, value: String)] = [], body: JSONValue? = nil,
        idempotent: Bool? = nil
    ) async throws -> JSONValue {
        try await client.rest(.eks, action: action, method: method, path: path, query: query, body: body, idempotent: idempotent)
    }

    private func orNil(_ body: () async throws -> JSONValue?) async throws -> JSONValue? {
        do {
            return try await body()
        } catch let error as AWSError where error.isNotFound {
            return nil
        }
    }

    private func names(_ action: String, _ path: String, key: String) async throws -> [String] {
        try await items(action, path, key: key).compactMap(\.stringValue)
    }

    /// Every item of a paginated list (`maxResults` 100, `nextToken`).
    private func items(_ action: String, _ path: String, key: String) async throws -> [JSONValue] {
        var out: [JSONValue] = []
        var token: String?
        repeat {
            var query: [(name: String, value: String)] = [(name: "maxResults", value: "100")]
            if let token { query.append((name: "nextToken", value: token)) }
            let page = try await call(action, "GET", path, query: query)
            out += page[key]?.arrayValue ?? []
            token = page["nextToken"]?.stringValue
        } while token != nil
        return out
    }
}

/// An EKS update (`UpdateClusterVersion`, `UpdateNodegroupConfig`, ...): its id and status.
struct EKSUpdate: Sendable {
    var id: String
    /// `InProgress`, `Successful`, `Failed`, `Cancelled`.
    var status: String
    var type: String
    /// The `errors[].errorMessage`s of a failed update.
    var errors: [String]

    init(_ json: JSONValue) {
        id = json["id"]?.stringValue ?? ""
        status = json["status"]?.stringValue ?? ""
        type = json["type"]?.stringValue ?? ""
        errors = (json["errors"]?.arrayValue ?? []).compactMap { $0["errorMessage"]?.stringValue }
    }
}

extension EKS {
    /// Waits until an update is `Successful`; throws on `Failed`/`Cancelled` or at the deadline.
    func waitForUpdate(
        _ update: EKSUpdate, cluster: String, nodegroup: String? = nil, addon: String? = nil, what: String, deadline: Duration,
        waits: WaitPolicy
    ) async throws {
        guard !update.id.isEmpty else { return }
        _ = try await Waiter(policy: waits).wait(for: "\(what) (update \(update.id)) to be Successful", deadline: deadline) {
            let now = try await describeUpdate(cluster: cluster, id: update.id, nodegroup: nodegroup, addon: addon)
            switch now.status {
            case "Successful": return true
            case "Failed", "Cancelled":
                let type = addon != nil ? "aws_eks_addon" : nodegroup != nil ? "aws_eks_node_group" : "aws_eks_cluster"
                let name = [cluster, nodegroup ?? addon].compactMap { $0 }.joined(separator: "/")
                throw ProviderError.failed(
                    type: type, name: name, status: now.status,
                    detail: "update \(update.id) (\(now.type)): \(now.errors.joined(separator: "; "))")
            default: return nil
            }
        }
    }
}
