import ArgumentParser
import Foundation
import StrataPlanner

/// `strata show PLANFILE`: a saved plan, printed as `strata plan` printed it (Terraform's `show`).
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a saved plan.",
        discussion: """
            Reads a plan file from `strata plan --out` (refused, as apply refuses it, unless it is a \
            whole plan file as strata wrote it, signed with STRATA_PLAN_KEY when that is set) and \
            prints it as `strata plan` did, or with --json as Terraform's plan JSON (format 1.2). \
            Secrets are shown as (sensitive value), as in the plan. Makes no AWS call and reads no \
            stack file.
            """)

    @Argument(help: "A plan file written by `strata plan --out`.")
    var planFile: String

    @Flag(help: "Print Terraform's plan JSON (format_version 1.2) instead of the human plan.")
    var json = false

    func run() throws {
        let plan = try Failing.report {
            try PlanFile.read(
                from: URL(fileURLWithPath: planFile), key: try PlanKey.from(environment: ProcessInfo.processInfo.environment))
        }
        if json {
            print(TerraformPlanJSON(strataVersion: StrataVersion.current).document(plan).pretty, terminator: "")
        } else {
            print(PlanRenderer(colour: PlanCommand.colourOnStandardOutput).render(plan), terminator: "")
        }
    }
}
