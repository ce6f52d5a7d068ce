import AWSClient
import Foundation
import StrataModel

/// A small Kubernetes API client for one EKS cluster: server-side apply, get, delete and list of
/// any kind, plus what node rollouts need (nodes, cordon, pods, budgets, the Eviction API).
///
/// It speaks HTTPS through AWSClient's ``HTTPTransport``, trusting the cluster's CA for its own
/// requests only (``HTTPRequest/extraCAPEM``), and authenticates with an EKS bearer token that
/// ``KubernetesTokenCache`` reuses until shortly before it expires. It never prints; errors are
/// ``KubernetesError`` (the API server's Status) or the transport's.
public struct KubernetesClient: Sendable {
    /// The API server (`DescribeCluster`'s `endpoint`).
    public let endpoint: URL
    /// PEM of the cluster CA (the decoded `certificateAuthority.data`); nil trusts the system store.
    public let caPEM: String?
    public let transport: any HTTPTransport
    public let tokens: KubernetesTokenCache
    /// Deadline of each request.
    public var timeout: Duration
    private let resolver = ResourceResolver()

    /// The field manager strata applies as.
    public static let fieldManager = "strata"

    public init(
        endpoint: URL, caPEM: String?, transport: any HTTPTransport = CurlTransport(), timeout: Duration = .seconds(30),
        token: @escaping @Sendable () async throws -> EKSToken
    ) {
        self.endpoint = endpoint
        self.caPEM = caPEM
        self.transport = transport
        self.timeout = timeout
        self.tokens = KubernetesTokenCache(fetch: token)
    }

    /// A client for an EKS cluster as `DescribeCluster` reports it: `caData` is the base64
    /// `certificateAuthority.data`; tokens are signed with `aws`'s credentials (or `roleARN`'s).
    public static func eks(
        cluster: String, endpoint: String, caData: String, aws: AWSClient, roleARN: String? = nil
    ) throws -> KubernetesClient {
        guard let url = URL(string: endpoint), url.scheme != nil else {
            throw KubernetesClientError("cluster \(cluster) has no usable endpoint '\(endpoint)'")
        }
        guard let der = Data(base64Encoded: caData, options: .ignoreUnknownCharacters) else {
            throw KubernetesClientError("cluster \(cluster)'s certificateAuthority.data is not base64")
        }
        let pem = String(decoding: der, as: UTF8.self)
        return KubernetesClient(endpoint: url, caPEM: pem, transport: aws.configuration.transport) {
            try await aws.eksToken(cluster: cluster, roleARN: roleARN)
        }
    }

    // MARK: - Any kind

    /// Where `apiVersion`/`kind` lives: the built-in table, else the API server's discovery.
    public func resource(apiVersion: String, kind: String) async throws -> ResourceKind {
        try await resolver.resolve(apiVersion: apiVersion, kind: kind) { path in
            try await request("GET", path)
        }
    }

    /// Server-side apply of `object` (PATCH `application/apply-patch+yaml` with a JSON body, which
    /// is YAML) as field manager `fieldManager`, taking conflicting fields when `force`. Returns
    /// the object as stored. A namespaced object without a namespace goes to `default`.
    @discardableResult
    public func apply(_ object: JSONValue, fieldManager: String = KubernetesClient.fieldManager, force: Bool = true) async throws
        -> JSONValue
    {
        let (kind, namespace, name) = try await locate(object)
        var body = object
        if kind.namespaced, namespace != nil, case .object(var members) = body, case .object(var meta)? = members["metadata"],
            meta["namespace"] == nil
        {
            meta["namespace"] = .string(namespace ?? "default")
            members["metadata"] = .object(meta)
            body = .object(members)
        }
        return try await request(
            "PATCH", kind.objectPath(namespace: namespace, name: name),
            query: [(name: "fieldManager", value: fieldManager), (name: "force", value: force ? "true" : "false")],
            body: body, contentType: "application/apply-patch+yaml")
    }

    /// The object, or nil when it does not exist.
    public func get(apiVersion: String, kind: String, namespace: String? = nil, name: String) async throws -> JSONValue? {
        let resource = try await resource(apiVersion: apiVersion, kind: kind)
        do {
            return try await request("GET", resource.objectPath(namespace: namespace, name: name))
        } catch let error as KubernetesError where error.isNotFound {
            return nil
        }
    }

    /// Deletes the object; true if it existed. Deletion may finish later (finalizers, pod grace):
    /// poll ``get(apiVersion:kind:namespace:name:)`` to see it gone.
    @discardableResult
    public func delete(apiVersion: String, kind: String, namespace: String? = nil, name: String) async throws -> Bool {
        let resource = try await resource(apiVersion: apiVersion, kind: kind)
        do {
            _ = try await request("DELETE", resource.objectPath(namespace: namespace, name: name))
            return true
        } catch let error as KubernetesError where error.isNotFound {
            return false
        }
    }

    /// Every object of a kind (in `namespace`, or in all namespaces), following `continue`
    /// tokens. Items carry `apiVersion` and `kind` (list answers leave them out).
    public func list(
        apiVersion: String, kind: String, namespace: String? = nil, labelSelector: String? = nil, fieldSelector: String? = nil
    ) async throws -> [JSONValue] {
        let resource = try await resource(apiVersion: apiVersion, kind: kind)
        var items: [JSONValue] = []
        var token: String?
        repeat {
            var query: [(name: String, value: String)] = [(name: "limit", value: "500")]
            if let labelSelector { query.append((name: "labelSelector", value: labelSelector)) }
            if let fieldSelector { query.append((name: "fieldSelector", value: fieldSelector)) }
            if let token { query.append((name: "continue", value: token)) }
            let page = try await request("GET", resource.collectionPath(namespace: namespace), query: query)
            for item in page["items"]?.arrayValue ?? [] {
                guard case .object(var members) = item else { continue }
                members["apiVersion"] = members["apiVersion"] ?? .string(resource.apiVersion)
                members["kind"] = members["kind"] ?? .string(resource.kind)
                items.append(.object(members))
            }
            token = page["metadata"]?["continue"]?.stringValue
            if token?.isEmpty == true { token = nil }
        } while token != nil
        return items
    }

    // MARK: - Nodes, pods, budgets, eviction

    /// Nodes matching `labelSelector` (`eks.amazonaws.com/nodegroup=workers`), all when nil.
    public func nodes(labelSelector: String? = nil) async throws -> [KubernetesNode] {
        try await list(apiVersion: "v1", kind: "Node", labelSelector: labelSelector).map(KubernetesNode.init(object:))
    }

    /// Marks the node unschedulable and sets `annotations` in the same merge patch, so the
    /// cordon and whatever records why (a rollout's `strata.dev/rollout`) land together or not
    /// at all. Pods already on it stay.
    @discardableResult
    public func cordon(node: String, annotations: [String: String] = [:]) async throws -> KubernetesNode {
        try await patchNode(node, unschedulable: true, annotations: annotations.mapValues { .string($0) })
    }

    /// Lets the scheduler place pods on the node again, removing `annotations` in the same patch.
    @discardableResult
    public func uncordon(node: String, removingAnnotations annotations: [String] = []) async throws -> KubernetesNode {
        try await patchNode(node, unschedulable: false, annotations: Dictionary(uniqueKeysWithValues: annotations.map { ($0, .null) }))
    }

    /// One merge patch of `spec.unschedulable` and annotations (null removes one).
    private func patchNode(_ node: String, unschedulable: Bool, annotations: [String: JSONValue]) async throws -> KubernetesNode {
        var body: [String: JSONValue] = ["spec": ["unschedulable": .bool(unschedulable)]]
        if !annotations.isEmpty { body["metadata"] = ["annotations": .object(annotations)] }
        let patched = try await request(
            "PATCH", "/api/v1/nodes/\(Self.segment(node))", body: .object(body), contentType: "application/merge-patch+json")
        return KubernetesNode(object: patched)
    }

    /// Pods bound to `node` in every namespace (`fieldSelector=spec.nodeName=<node>`).
    public func pods(onNode node: String) async throws -> [KubernetesPod] {
        try await list(apiVersion: "v1", kind: "Pod", fieldSelector: "spec.nodeName=\(node)").map(KubernetesPod.init(object:))
    }

    /// Pods in `namespace` (all namespaces when nil), optionally by label.
    public func pods(namespace: String?, labelSelector: String? = nil) async throws -> [KubernetesPod] {
        try await list(apiVersion: "v1", kind: "Pod", namespace: namespace, labelSelector: labelSelector)
            .map(KubernetesPod.init(object:))
    }

    /// PodDisruptionBudgets (policy/v1) in `namespace`, all when nil, with their live status.
    public func podDisruptionBudgets(namespace: String? = nil) async throws -> [PodDisruptionBudget] {
        try await list(apiVersion: "policy/v1", kind: "PodDisruptionBudget", namespace: namespace)
            .map(PodDisruptionBudget.init(object:))
    }

    /// Asks the Eviction API (policy/v1) to evict a pod, honouring its disruption budget. A budget
    /// that allows no disruption now (429) or several budgets selecting the pod (500) are
    /// outcomes, not errors: a drain waits and asks again. Other refusals throw.
    public func evict(namespace: String, pod: String, gracePeriodSeconds: Int? = nil) async throws -> EvictionOutcome {
        var body: [String: JSONValue] = [
            "apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": ["name": .string(pod), "namespace": .string(namespace)],
        ]
        if let gracePeriodSeconds { body["deleteOptions"] = ["gracePeriodSeconds": .int(gracePeriodSeconds)] }
        let path = "/api/v1/namespaces/\(Self.segment(namespace))/pods/\(Self.segment(pod))/eviction"
        do {
            _ = try await request("POST", path, body: .object(body))
            return .evicted(namespace: namespace, pod: pod)
        } catch let error as KubernetesError where error.httpStatus == 429 {
            return .blockedByBudget(namespace: namespace, pod: pod, message: error.causes.first ?? error.message)
        } catch let error as KubernetesError where error.httpStatus == 500 && error.message.contains("more than one PodDisruptionBudget") {
            return .multipleBudgets(namespace: namespace, pod: pod, message: error.message)
        } catch let error as KubernetesError where error.isNotFound {
            return .gone(namespace: namespace, pod: pod)
        }
    }

    // MARK: - The wire

    /// One API call; the parsed answer of a 2xx, else ``KubernetesError``. A 401 asks for a fresh
    /// token once (the cached one may have been revoked or the clock skewed); lost connections and
    /// 503s are retried twice for requests that are safe to resend, 429s (not evictions) after
    /// their Retry-After (at most 5 s).
    @discardableResult
    public func request(
        _ method: String, _ path: String, query: [(name: String, value: String)] = [], body: JSONValue? = nil,
        contentType: String = "application/json"
    ) async throws -> JSONValue {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        var text = base + path
        if !query.isEmpty { text += "?" + FormEncoding.encode(query) }
        guard let url = URL(string: text) else { throw KubernetesClientError("not a usable URL: \(text)") }
        let resendable = method != "POST"
        var refreshedToken = false
        var attempt = 0
        while true {
            attempt += 1
            let token = try await tokens.token()
            var headers: [(name: String, value: String)] = [
                (name: "Authorization", value: "Bearer \(token)"), (name: "Accept", value: "application/json"),
                (name: "User-Agent", value: "strata"),
            ]
            var data = Data()
            if let body {
                headers.append((name: "Content-Type", value: contentType))
                data = body.encoded()
            }
            let httpRequest = HTTPRequest(method: method, url: url, headers: headers, body: data, extraCAPEM: caPEM, timeout: timeout)
            let response: HTTPResponse
            do {
                response = try await transport.send(httpRequest)
            } catch let error as TransportError where resendable && attempt < 3 {
                _ = error
                try await Task.sleep(for: .milliseconds(200 * attempt))
                continue
            }
            if (200..<300).contains(response.status) {
                do {
                    return try JSONValue.parse(response.body)
                } catch {
                    var failure = ResponseDecodingError(
                        what: "JSON", detail: JSONValue.reason(refusing: response.body), body: response.body)
                    failure.call = "\(method) \(path)"
                    throw KubernetesClientError("\(failure)")
                }
            }
            if response.status == 401, !refreshedToken {
                refreshedToken = true
                await tokens.invalidate()
                continue
            }
            // API priority and fairness answers 429 with Retry-After, as do overloaded servers
            // 503; an eviction's 429 is a budget's answer, not load, and is the caller's to read.
            if attempt < 3, resendable || response.status == 429, [429, 503].contains(response.status), !path.hasSuffix("/eviction") {
                let hinted = response.header("Retry-After").flatMap(Int.init) ?? attempt
                try await Task.sleep(for: .seconds(min(max(hinted, 1), 5)))
                continue
            }
            throw KubernetesError.parse(status: response.status, body: response.body, method: method, path: path)
        }
    }

    private func locate(_ object: JSONValue) async throws -> (ResourceKind, String?, String) {
        guard let apiVersion = object["apiVersion"]?.stringValue, let kind = object["kind"]?.stringValue else {
            throw KubernetesClientError("the object has no apiVersion or kind")
        }
        guard let name = object["metadata"]?["name"]?.stringValue, !name.isEmpty else {
            throw KubernetesClientError("the \(kind) has no metadata.name")
        }
        let resource = try await resource(apiVersion: apiVersion, kind: kind)
        let namespace = resource.namespaced ? (object["metadata"]?["namespace"]?.stringValue ?? "default") : nil
        return (resource, namespace, name)
    }

    /// A path segment, percent-encoded.
    static func segment(_ value: String) -> String { FormEncoding.percentEncode(value) }
}

/// Reuses one EKS token until a minute before it expires, so a rollout does not sign a token per
/// request; concurrent callers share one refresh.
public actor KubernetesTokenCache {
    private let fetch: @Sendable () async throws -> EKSToken
    private let now: @Sendable () -> Date
    private var current: EKSToken?
    private var refreshing: Task<EKSToken, any Error>?
    /// How long before expiry a token is replaced.
    public static let margin: TimeInterval = 60

    public init(fetch: @escaping @Sendable () async throws -> EKSToken, now: @escaping @Sendable () -> Date = { Date() }) {
        self.fetch = fetch
        self.now = now
    }

    /// A valid token, fetched only when none is cached or the cached one is about to expire.
    public func token() async throws -> String {
        if let current, current.expiration.timeIntervalSince(now()) > Self.margin { return current.token }
        if let refreshing { return try await refreshing.value.token }
        let task = Task { try await fetch() }
        refreshing = task
        defer { refreshing = nil }
        let fresh = try await task.value
        current = fresh
        return fresh.token
    }

    /// Forgets the cached token (after a 401).
    public func invalidate() {
        current = nil
    }
}
