import AWSClient
import StrataModel
import StrataProviders

/// Turns whatever a resource step threw into the one ``ProviderError`` a failed step reports:
/// the resource's address, the AWS code and request id when AWS refused, the attribute at fault
/// when it can be told, and the stack span that set it (else the resource's block), so the
/// command line renders it like a compiler diagnostic.
extension ProviderError {
    /// `error`, thrown by a step of `change`.
    init(_ error: any Error, of change: ResourceChange) {
        self.init(error, type: change.type, address: change.address)
        if attribute == nil, case .aws(let aws) = reason {
            attribute = Self.attribute(in: aws.message, of: change)
        }
        span = span ?? attribute.flatMap { change.attributeSpans?[$0] } ?? change.span
    }

    /// `error`, thrown by an operation of no planned change (the destroy's controller sweep).
    init(_ error: any Error, type: String, address: ResourceAddress) {
        switch error {
        case let known as ProviderError:
            self = known
            self.address = known.address ?? address
        case let aws as AWSError:
            self.init(type: type, address: address, reason: .aws(aws))
        case ExecutorError.deleteBlocked(_, let id, let aws, let blockers):
            self.init(
                type: type, address: address, reason: .aws(Self.stillInUse(id, by: blockers, after: "retrying until the deadline", aws)))
        case let blocked as SweepBlocked:
            self.init(
                type: type, address: address,
                reason: .aws(Self.stillInUse(blocked.what, by: blocked.blockers, after: "\(blocked.waited)", blocked.error)))
        case ExecutorError.unresolved(_, let names):
            self.init(
                type: type, address: address, attribute: names.count == 1 ? names[0] : nil,
                reason: .invalidAttribute(
                    problem: (names.count == 1 ? "" : names.map { "`\($0)`" }.joined(separator: ", ") + " ")
                        + "still unknown when its turn came (depends on something not created)"))
        default:
            self.init(type: type, address: address, reason: .failed(status: Self.unfinished, detail: "\(error)"))
        }
    }

    /// A delete AWS kept refusing, still as AWS's refusal (its code and request id), with what the
    /// retries found using `what`.
    private static func stillInUse(_ what: String, by blockers: [String], after waited: String, _ aws: AWSError) -> AWSError {
        var aws = aws
        let users = blockers.isEmpty ? "" : " by \(blockers.joined(separator: ", "))"
        aws.message = "\(what) is still in use\(users) after \(waited). AWS says: \(aws.message)"
        return aws
    }

    /// The attribute an AWS message is about, among those the stack set on `change`: the one
    /// whose wire name the message names (`cidrBlock`, `'retentionInDays'` are `cidr_block`,
    /// `retention_in_days`), else the one whose value it quotes (`The vpc ID 'vpc-0a1b' does
    /// not exist`). Nil when none or several fit: a guess would point at the wrong line.
    static func attribute(in message: String, of change: ResourceChange) -> String? {
        let set = (change.attributeSpans ?? [:]).keys.filter { !change.sensitiveAttributes.contains($0) }.sorted()
        let words = Set(message.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.lowercased() })
        let named = set.filter { words.contains($0.replacingOccurrences(of: "_", with: "").lowercased()) }
        if named.count == 1 { return named[0] }
        guard named.isEmpty else { return nil }
        let quoted = set.filter { name in
            // Short texts (`1`, `true`) appear in messages by chance.
            guard let text = change.after?[name]?.stringValue, text.count >= 4 else { return false }
            return message.contains(text)
        }
        return quoted.count == 1 ? quoted[0] : nil
    }
}
