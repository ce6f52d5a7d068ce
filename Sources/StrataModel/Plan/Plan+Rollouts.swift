extension Plan {
    /// The rollouts apply takes up: those with steps, and those a blocking finding refuses (apply
    /// stops on them). A rollout of warnings only (a cluster running a newer minor than its
    /// files say, after `strata upgrade`) is shown, never run.
    public var runnableRollouts: [RolloutPlan] { rollouts.filter { !$0.steps.isEmpty || $0.isBlocked } }
}
