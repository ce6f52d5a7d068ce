import AWSClient
import ArgumentParser
import Foundation

/// `strata aws ...`: raw access to the AWS APIs strata uses.
struct AWSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aws",
        abstract: "Talk to AWS directly, signed the way strata signs.",
        subcommands: [AWSRequestCommand.self])
}

/// `strata aws request SERVICE ACTION|PATH`: one signed call, its answer printed as JSON.
struct AWSRequestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "request",
        abstract: "Send one signed AWS API call and print the answer (XML shown as JSON).",
        discussion: """
            SERVICE is ec2, iam, sts, eks, sqs, events (eventbridge), ssm, dynamodb, kms or logs. \
            Query and JSON services take an ACTION (DescribeVpcs); REST services (eks) take a PATH \
            (/clusters). Exits 1 when AWS answers with an error.
            """)

    @Argument(help: "The service: ec2, iam, sts, eks, sqs, events, ssm, dynamodb, kms, logs.")
    var service: String

    @Argument(help: "The action (DescribeVpcs) or, for eks, the path (/clusters/NAME).")
    var target: String

    @Option(name: .customLong("param"), help: "A parameter K=V (form field, JSON member, or query item for eks).")
    var parameters: [String] = []

    @Option(help: "The JSON request body (JSON and REST services).")
    var json: String?

    @Option(help: "The HTTP method (eks only; default GET, or POST with --json).")
    var method: String?

    @Option(help: "The region (default: AWS_REGION).")
    var region: String?

    @Flag(help: "Print the signed HTTP request instead of sending it.")
    var dryRun = false

    func run() async throws {
        do {
            guard let service = AWSService.named(service) else { throw AWSClientError.unknownService(service) }
            let raw = RawRequest(
                service: service, target: target, parameters: try parameters.map(RawRequest.parameter),
                jsonBody: json, method: method)
            let operation = try raw.operation()
            let client = AWSClient(configuration: try .standard(region: region))
            if dryRun {
                print(try await client.signedRequest(for: operation).wireText())
                return
            }
            let response = try await client.send(operation)
            print(try response.readable().pretty, terminator: "")
        } catch {
            ErrorReport.print(error)
            throw ExitCode.failure
        }
    }
}
