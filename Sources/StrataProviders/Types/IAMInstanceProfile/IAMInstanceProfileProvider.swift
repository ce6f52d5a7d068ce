import AWSClient
import StrataModel

/// `aws_iam_instance_profile`: created under the stack's IAM path with its tags, holding at most
/// one role. Discovery is ListInstanceProfiles under the path; the tags that name each profile's
/// address come from the same answer or from the account snapshot's role details (which list a
/// role's profiles with their tags), and only a profile found in neither costs a
/// GetInstanceProfile (a profile without a role, on an endpoint that omits list tags).
struct IAMInstanceProfileProvider: ResourceProvider {
    let schema = ResourceSchema.awsIAMInstanceProfile
    // The profile's role leaves it first; a launch template names the profile.
    let deletion = DeletionRule(rank: 5, waitsFor: ["aws_launch_template": .every])

    func discover(_ context: ProviderContext) async throws -> [LiveResource] {
        let iam = IAM(context)
        async let listing = iam.paged("ListInstanceProfiles", list: "InstanceProfiles", [(name: "PathPrefix", value: context.iamPath)])
        async let snapshot = iam.snapshot(pathPrefix: context.iamPath)
        let (profiles, details) = try await (listing, snapshot)
        var snapshotTags: [String: [String: String]] = [:]
        for role in details.roles {
            for profile in role.child("InstanceProfileList")?.items ?? [] where profile.child("Tags") != nil {
                if let name = profile.child("InstanceProfileName")?.text { snapshotTags[name] = IAM.tags(of: profile) }
            }
        }
        let knownTags = snapshotTags
        let resolved: [LiveResource?] = try await concurrentMap(profiles) { profile in
            guard let name = profile.child("InstanceProfileName")?.text else { return nil }
            var tags = IAM.tags(of: profile)
            if tags.isEmpty { tags = knownTags[name] ?? [:] }
            if tags.isEmpty {
                do {
                    let full = try await iam.call("GetInstanceProfile", [(name: "InstanceProfileName", value: name)])
                    tags = IAM.tags(of: full.first(named: "InstanceProfile") ?? full)
                } catch let error as AWSError where error.isNotFound {
                    return nil
                }
            }
            return Self.live(profile, tags: tags, context)
        }
        return resolved.compactMap { $0 }
    }

    static func live(_ profile: XMLNode, tags: [String: String], _ context: ProviderContext) -> LiveResource? {
        guard let address = Ownership.address(tags, stack: context.stack), let name = IAM.text(profile, "InstanceProfileName") else {
            return nil
        }
        var attributes = Ownership.tagAttributes(tags)
        attributes["id"] = .string(name)
        attributes["name"] = .string(name)
        attributes["arn"] = IAM.text(profile, "Arn").map(Value.string) ?? .null
        attributes["path"] = .string(IAM.userPath(profile.child("Path")?.text ?? "/", stackPath: context.iamPath))
        if let role = profile.child("Roles")?.items.first.flatMap({ IAM.text($0, "RoleName") }) { attributes["role"] = .string(role) }
        attributes["unique_id"] = IAM.text(profile, "InstanceProfileId").map(Value.string) ?? .null
        attributes["create_date"] = IAM.text(profile, "CreateDate").map(Value.string) ?? .null
        return LiveResource(type: "aws_iam_instance_profile", address: address, id: name, attributes: attributes)
    }

    func create(_ desired: DesiredResource, _ context: ProviderContext) async throws -> LiveResource {
        let iam = IAM(context)
        let name = try GeneratedName.name(desired, maxLength: 128)
        var parameters: IAM.Parameters = [
            (name: "InstanceProfileName", value: name),
            (name: "Path", value: IAM.fullPath(desired.attributes.string("path"), stackPath: context.iamPath)),
        ]
        parameters += IAM.tags(desired.tags)
        do {
            try await iam.writing { try await iam.call("CreateInstanceProfile", parameters) }
        } catch let error as AWSError where error.isAlreadyExists {
            let existing = try await read(name, context)
            guard let existing, existing.address == desired.address else {
                throw ProviderError.nameTaken(type: type, name: name, owner: "not this stack's profile at \(desired.address)")
            }
            // A crashed run may have stopped between the two calls: finish what it started.
            if existing.attributes.string("role") == desired.attributes.string("role") { return existing }
            return try await update(existing, to: desired, changed: ["role"], context)
        }
        if let role = desired.attributes.string("role") {
            try await iam.writing {
                try await iam.call(
                    "AddRoleToInstanceProfile", [(name: "InstanceProfileName", value: name), (name: "RoleName", value: role)])
            }
        }
        return try await readOwned(name, context)
    }

    /// GetInstanceProfile as a live resource; nil when it is gone or not this stack's.
    private func read(_ name: String, _ context: ProviderContext) async throws -> LiveResource? {
        let answer = try await IAM(context).call("GetInstanceProfile", [(name: "InstanceProfileName", value: name)])
        guard let profile = answer.first(named: "InstanceProfile") else { return nil }
        return Self.live(profile, tags: IAM.tags(of: profile), context)
    }

    private func readOwned(_ name: String, _ context: ProviderContext) async throws -> LiveResource {
        guard let live = try await read(name, context) else {
            throw ProviderError.nameTaken(type: type, name: name, owner: "its tags no longer name this stack")
        }
        return live
    }

    /// The role moves with two calls (IAM has no swap); tags with Tag/UntagInstanceProfile.
    func update(_ live: LiveResource, to desired: DesiredResource, changed: Set<String>, _ context: ProviderContext) async throws
        -> LiveResource
    {
        let iam = IAM(context)
        let profile: IAM.Parameters = [(name: "InstanceProfileName", value: live.id)]
        try await iam.writing {
            if changed.contains("role") {
                let old = live.attributes.string("role")
                let new = desired.attributes.string("role")
                if let old, old != new {
                    do {
                        try await iam.call("RemoveRoleFromInstanceProfile", profile + [(name: "RoleName", value: old)])
                    } catch let error as AWSError where error.isNotFound {}
                }
                if let new, new != old {
                    try await iam.call("AddRoleToInstanceProfile", profile + [(name: "RoleName", value: new)])
                }
            }
            try await TagSync.update(live, to: desired, changed: changed, iam.tagCalls("InstanceProfile", profile))
        }
        return try await readOwned(live.id, context)
    }

    /// IAM refuses to delete a profile that still holds a role: the role is removed first.
    func delete(_ live: LiveResource, _ context: ProviderContext) async throws {
        let iam = IAM(context)
        let profile: IAM.Parameters = [(name: "InstanceProfileName", value: live.id)]
        try await iam.deleting {
            let current = try await iam.call("GetInstanceProfile", profile).first(named: "InstanceProfile")
            for role in current?.child("Roles")?.items ?? [] {
                guard let name = IAM.text(role, "RoleName") else { continue }
                try await iam.call("RemoveRoleFromInstanceProfile", profile + [(name: "RoleName", value: name)])
            }
            try await iam.call("DeleteInstanceProfile", profile)
        }
    }
}
