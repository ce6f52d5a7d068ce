import AWSClient
import StrataModel

/// `aws_iam_openid_connect_provider`: trusts a cluster's service-account token issuer. IAM lists
/// these providers by ARN only and keeps no path, so discovery is ListOpenIDConnectProviders and
/// one GetOpenIDConnectProvider per provider in the account (tags, URL, client ids,
/// thumbprints): a handful per account, one per cluster.
struct IAMOpenIDConnectProviderProvider: ResourceProvider {
    let schema = ResourceSchema.awsIAMOpenIDConnectProvider
    let deletion = DeletionRule(rank: 3)
    let normalisation = NormalisationRules(sets: ["client_id_list", "thumbprint_list"])

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let iam = IAM(context)
        let arns = try await listARNs(iam)
        let found: [LiveResource?] = try await concurrentMap(arns) { arn in
            do {
                return try await Self.read(arn, iam, context)
            } catch let error as AWSError where error.isNotFound {
                return nil
            }
        }
        return found.compactMap { $0 }
    }

    private func listARNs(_ iam: IAM) async throws -> [String] {
        let answer = try await iam.call("ListOpenIDConnectProviders")
        return (answer.first(named: "OpenIDConnectProviderList")?.items ?? []).compactMap { IAM.text($0, "Arn") }
    }

    /// GetOpenIDConnectProvider as a live resource; nil when not this stack's.
    static func read(_ arn: String, _ iam: IAM, _ context: ProviderContext) async throws -> LiveResource? {
        let answer = try await iam.call("GetOpenIDConnectProvider", [(name: "OpenIDConnectProviderArn", value: arn)])
        let result = answer.first(named: "GetOpenIDConnectProviderResult") ?? answer
        let tags = IAM.tags(of: result)
        guard let address = Ownership.address(tags, stack: context.stack) else { return nil }
        var attributes = Ownership.tagAttributes(tags)
        attributes["id"] = .string(arn)
        attributes["arn"] = .string(arn)
        if let url = IAM.text(result, "Url") { attributes["url"] = .string(normalisedURL(url)) }
        attributes["client_id_list"] = .list((result.child("ClientIDList")?.items ?? []).map { .string($0.text) })
        attributes["thumbprint_list"] = .list((result.child("ThumbprintList")?.items ?? []).map { .string($0.text) })
        return LiveResource(type: "aws_iam_openid_connect_provider", address: address, id: arn, attributes: attributes)
    }

    /// IAM stores the issuer without its scheme; the stack writes it with `https://` (as EKS
    /// reports the issuer), so that is the form compared.
    static func normalisedURL(_ url: String) -> String {
        url.hasPrefix("https://") || url.hasPrefix("http://") ? url : "https://" + url
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let iam = IAM(context)
        let url = try desired.required("url")
        var parameters: IAM.Parameters = [(name: "Url", value: url)]
        parameters += IAM.list("ClientIDList", desired.attributes["client_id_list"]?.stringList ?? [])
        let thumbprints = desired.attributes["thumbprint_list"]?.stringList ?? []
        if !thumbprints.isEmpty { parameters += IAM.list("ThumbprintList", thumbprints) }
        parameters += IAM.tags(desired.tags)
        let arn: String
        do {
            let answer = try await iam.call("CreateOpenIDConnectProvider", parameters)
            guard let created = answer.first(named: "OpenIDConnectProviderArn")?.text, !created.isEmpty else {
                throw ProviderError.invalidAttribute(
                    type: type, attribute: "arn", problem: "CreateOpenIDConnectProvider answered without an ARN")
            }
            arn = created
        } catch let error as AWSError where error.isAlreadyExists {
            // The issuer's ARN is derived from its host and path: find it and check whose it is.
            let suffix = "oidc-provider/" + url.replacingOccurrences(of: "https://", with: "")
            guard let existing = try await listARNs(iam).first(where: { $0.hasSuffix(suffix) }),
                let live = try await Self.read(existing, iam, context), live.address == desired.address
            else {
                throw ProviderError.nameTaken(type: type, name: url, owner: "an OpenID Connect provider not strata's for this address")
            }
            return live
        }
        guard let live = try await Self.read(arn, iam, context) else {
            throw ProviderError.nameTaken(type: type, name: url, owner: "its tags no longer name this stack")
        }
        return live
    }

    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let iam = IAM(context)
        let target: IAM.Parameters = [(name: "OpenIDConnectProviderArn", value: live.id)]
        if changed.contains("client_id_list") {
            let current = Set(live.attributes["client_id_list"]?.stringList ?? [])
            let wanted = desired.attributes["client_id_list"]?.stringList ?? []
            for client in wanted where !current.contains(client) {
                try await iam.call("AddClientIDToOpenIDConnectProvider", target + [(name: "ClientID", value: client)])
            }
            for client in current.sorted() where !wanted.contains(client) {
                try await iam.call("RemoveClientIDFromOpenIDConnectProvider", target + [(name: "ClientID", value: client)])
            }
        }
        if changed.contains("thumbprint_list") {
            try await iam.call(
                "UpdateOpenIDConnectProviderThumbprint",
                target + IAM.list("ThumbprintList", desired.attributes["thumbprint_list"]?.stringList ?? []))
        }
        try await TagSync.update(live, to: desired, changed: changed, iam.tagCalls("OpenIDConnectProvider", target))
        guard let updated = try await Self.read(live.id, iam, context) else {
            throw ProviderError.nameTaken(type: type, name: live.id, owner: "its tags no longer name this stack")
        }
        return updated
    }

    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let iam = IAM(context)
        try await iam.deleting { try await iam.call("DeleteOpenIDConnectProvider", [(name: "OpenIDConnectProviderArn", value: live.id)]) }
    }
}
