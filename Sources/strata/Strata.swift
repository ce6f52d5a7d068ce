import ArgumentParser

/// The root command. Subcommands live one per file next to this one; their logic lives in the
/// libraries, so each command only parses arguments, calls a library and renders the result.
@main
struct Strata: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "An infrastructure provisioning compiler for Kubernetes on AWS.",
        discussion: """
            strata compiles a declarative stack into a graph of AWS resources, plans it against \
            the live account (ownership tags are the state) and applies it in parallel.
            """,
        version: StrataVersion.current,
        subcommands: [
            Validate.self,
            GraphCommand.self,
            PlanCommand.self,
            ApplyCommand.self,
            UpgradeCommand.self,
            DestroyCommand.self,
            OutputCommand.self,
            ShowCommand.self,
            ForceUnlockCommand.self,
            AWSCommand.self,
            EKSTokenCommand.self,
        ]
    )
}
