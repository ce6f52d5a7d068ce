import AWSClient
import Foundation
import StrataCompiler
import StrataModel
import StrataProviders
import Testing

@testable import StrataPlanner

/// A Kubernetes Secret written with literal data (no expression marks it: the type does) and read
/// back from its cluster: every view of the plan hides the data, by path, and keeps the rest.
@Suite struct SecretSinksTests {
    static let secret = "s3cr3t-MARKER-1234"

    static var plan: Plan {
        let manifest: Value = .map([
            "apiVersion": .string("v1"), "kind": .string("Secret"),
            "metadata": .map(["name": .string("db"), "namespace": .string("default")]),
            "stringData": .map(["password": .string(secret)]),
        ])
        let desired: [String: Value] = ["cluster": .string("c"), "manifest": manifest]
        var stored = manifest
        if case .map(var members) = manifest {
            members["data"] = .map(["password": .string(Data(secret.utf8).base64EncodedString())])
            members["stringData"] = nil
            stored = .map(members)
        }
        let oldAddress = ResourceAddress(module: nil, type: "kubernetes_manifest", name: "old")
        let live = LiveResource(
            type: "kubernetes_manifest", address: oldAddress,
            id: "c|v1|Secret|default|old", attributes: ["cluster": .string("c"), "manifest": stored, "object": stored])
        let schema = ResourceCatalog.all["kubernetes_manifest"]
        return Plan(
            stack: "s", region: "us-east-1", stackPath: "/s",
            changes: [
                ResourceChange(
                    address: ResourceAddress(module: nil, type: "kubernetes_manifest", name: "db"), type: "kubernetes_manifest",
                    plane: .control, action: .create, before: nil, after: desired,
                    sensitiveAttributes: schema?.sensitivePaths(in: desired) ?? []),
                ResourceChange(
                    address: oldAddress, type: "kubernetes_manifest", plane: .control, action: .delete,
                    before: live.attributes, after: nil, live: live,
                    sensitiveAttributes: schema?.sensitivePaths(in: live.attributes) ?? []),
            ],
            liveFingerprint: "f")
    }

    func hidden(_ text: String) -> Bool {
        !text.contains(Self.secret) && !text.contains(Data(Self.secret.utf8).base64EncodedString())
    }

    @Test func theHumanPlanTheJSONAndThePlanFileHideASecretsDataAndShowItsName() throws {
        let human = PlanRenderer(colour: false).render(Self.plan)
        #expect(hidden(human) && human.contains("\"stringData\" = (sensitive value)") && human.contains("\"name\" = \"db\""), "\(human)")

        let json = TerraformPlanJSON(strataVersion: "t").document(Self.plan).description
        #expect(hidden(json), "\(json)")
        #expect(json.contains("\"stringData\":true") && json.contains("\"data\":true"), "marks by path: \(json)")

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("strata-secrets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("p.plan")
        try PlanFile.write(Self.plan, to: file)
        #expect(hidden(try String(contentsOf: file, encoding: .utf8)))
    }
}
