import AWSClient
import Foundation
import StrataTestSupport
import Testing

/// Checkov reads strata's plan of stacks/prod as it reads Terraform's plan of the equivalent
/// Terraform configuration (benchmarks/terraform/prod, planned by Terraform against the same
/// sandbox): the same findings, check by check and address by address. Runs where terraform and
/// its AWS provider are installed offline (`TF_PLUGIN_DIR`, default /opt/tf-plugins), as on the
/// machines CI runs on.
@Suite struct PlanCheckovTerraformTests {
    static let pluginDirectory = ProcessInfo.processInfo.environment["TF_PLUGIN_DIR"] ?? "/opt/tf-plugins"

    static var terraform: URL? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        return paths.map { URL(fileURLWithPath: String($0)).appendingPathComponent("terraform") }
            .first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    static var terraformInstalled: Bool {
        terraform != nil && FileManager.default.fileExists(atPath: pluginDirectory + "/registry.terraform.io/hashicorp/aws")
    }

    @Test(.enabled(if: terraformInstalled, "needs terraform and the AWS provider offline"), .timeLimit(.minutes(10)))
    func theEquivalentTerraformPlanGivesTheSameFindings() async throws {
        let checkov = try PlanCheckovTests.checkov()
        let sandbox = try await Sandbox.shared()
        let copy = try StackCopy(of: "prod")
        defer { copy.remove() }
        let (_, strataFile) = try await PlanCheckovTests.plan(copy, sandbox)
        let terraformFile = try await Self.terraformPlan(sandbox, in: copy.root)

        async let ours = PlanCheckovTests.run(checkov, on: strataFile)
        async let theirs = PlanCheckovTests.run(checkov, on: terraformFile)
        let (strata, terraform) = try await (ours, theirs)
        // Terraform's plan holds 95 resources: the configuration leaves out the two
        // kubernetes_manifest resources (no kubernetes provider offline), on which Checkov has
        // no check (PlanCheckovTests).
        #expect(terraform.parsingErrors == 0 && terraform.resourceCount == 95, "\(terraform.resourceCount) resources")
        #expect(strata.findings.count > 150, "\(strata.findings.count) findings")
        let onlyStrata = strata.findings.subtracting(terraform.findings).sorted()
        let onlyTerraform = terraform.findings.subtracting(strata.findings).sorted()
        #expect(onlyStrata.isEmpty && onlyTerraform.isEmpty, "only on strata's plan: \(onlyStrata); only on Terraform's: \(onlyTerraform)")
    }

    /// `terraform plan` of benchmarks/terraform/prod against the sandbox, as `terraform show
    /// -json`, in a copy of the configuration under `directory` (init from the plugin
    /// directory: nothing is downloaded, nothing written into the repository).
    static func terraformPlan(_ sandbox: Sandbox, in directory: URL) async throws -> URL {
        try await terraformPlan(
            of: "benchmarks/terraform", at: "prod", sandbox, in: directory,
            variables: ["access_key=\(Sandbox.accessKeyID)", "secret_key=\(Sandbox.secretAccessKey)"])
    }

    /// `terraform plan` of the configuration at `folder/root` of the repository (a module tree:
    /// `folder` is copied whole) against the sandbox, as `terraform show -json`, in a copy under
    /// `directory`. `-var endpoint=` is the sandbox's URL; `variables` are more `-var`s.
    static func terraformPlan(of folder: String, at root: String, _ sandbox: Sandbox, in directory: URL, variables: [String] = [])
        async throws -> URL
    {
        let terraform = try #require(Self.terraform)
        let config = directory.appendingPathComponent("terraform")
        try FileManager.default.copyItem(at: PlanCheckovTests.repository.appendingPathComponent(folder), to: config)
        let prod = root.isEmpty ? config : config.appendingPathComponent(root)
        let environment = [
            "TF_DATA_DIR": directory.appendingPathComponent("tf-data").path, "TF_CLI_CONFIG_FILE": "/dev/null",
            "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1",
        ]
        let planFile = directory.appendingPathComponent("tfplan")
        let steps: [[String]] = [
            ["init", "-input=false", "-plugin-dir", pluginDirectory],
            [
                "plan", "-input=false", "-out", planFile.path, "-var", "endpoint=\(sandbox.url.absoluteString)",
            ] + variables.flatMap { ["-var", $0] },
        ]
        for arguments in steps {
            let run = try await Self.run(terraform, arguments, in: prod, environment: environment)
            try #require(
                run.status == 0,
                "terraform \(arguments[0]) failed: \(String(decoding: run.stderr + run.stdout, as: UTF8.self).suffix(3000))")
        }
        let shown = try await Self.run(terraform, ["show", "-json", planFile.path], in: prod, environment: environment)
        try #require(shown.status == 0, "terraform show failed: \(String(decoding: shown.stderr, as: UTF8.self))")
        let file = directory.appendingPathComponent("terraform-plan.json")
        try shown.stdout.write(to: file)
        return file
    }

    static func run(_ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String]) async throws
        -> ChildProcess.Finished
    {
        try await StrataBinary.runToEnd(executable, arguments, environment: environment, in: directory)
    }
}
