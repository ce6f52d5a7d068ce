import AWSClient
import ArgumentParser
import Foundation

/// `strata eks-token`: the kubectl exec credential plugin, interchangeable with `aws eks get-token`.
struct EKSTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eks-token",
        abstract: "Print an ExecCredential with a bearer token for an EKS cluster (for kubectl).")

    @Option(help: "The cluster name.")
    var cluster: String

    @Option(help: "A role to assume first; the token then authenticates as that role.")
    var roleArn: String?

    @Option(help: "The region (default: AWS_REGION).")
    var region: String?

    func run() async throws {
        do {
            let client = AWSClient(configuration: try .standard(region: region))
            let token = try await client.eksToken(cluster: cluster, roleARN: roleArn)
            let apiVersion = EKSToken.apiVersion(execInfo: ProcessInfo.processInfo.environment["KUBERNETES_EXEC_INFO"])
            print(token.execCredential(apiVersion: apiVersion), terminator: "")
        } catch {
            ErrorReport.print(error)
            throw ExitCode.failure
        }
    }
}
