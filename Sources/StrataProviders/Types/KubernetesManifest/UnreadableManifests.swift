import Foundation
import StrataKubernetes

/// Clusters whose Kubernetes API refused to list the stack's manifests (401: no access entry
/// maps the caller to a user, access not granted yet or removed; 403: the user may not list).
/// Destroy sets one in ``ProviderContext/unreadableManifests`` so that such a refusal does not
/// block deleting the AWS resources: the cluster's own deletion removes every object in it.
public actor UnreadableManifests {
    /// One cluster that could not be read: the kinds it was asked for and what its API answered.
    public struct Refusal: Sendable, CustomStringConvertible {
        public var cluster: String
        /// `apiVersion/kind` of each kind discovery asked for.
        public var kinds: [String]
        public var error: KubernetesError

        public var description: String {
            let why =
                error.httpStatus == 401
                ? "access not granted, or removed: no access entry maps the caller to a Kubernetes user"
                : "the caller's Kubernetes user may not list them"
            return
                "cluster \(cluster): \(kinds.joined(separator: ", ")) could not be read (\(error.reason), HTTP \(error.httpStatus): \(why))"
        }
    }

    public private(set) var refusals: [Refusal] = []

    public init() {}

    func record(cluster: String, kinds: [String], error: KubernetesError) {
        refusals.append(Refusal(cluster: cluster, kinds: kinds, error: error))
    }

    /// Whether an error is a refusal this records rather than a failure.
    static func isRefusal(_ error: KubernetesError) -> Bool { error.httpStatus == 401 || error.httpStatus == 403 }
}
