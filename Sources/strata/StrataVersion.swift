/// The version `strata --version` prints. Bumped by hand at release time.
enum StrataVersion {
    static let current = "0.1.0"
}
