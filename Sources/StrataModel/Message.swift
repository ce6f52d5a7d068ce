/// A failure explained in one sentence, for `Result`s that become diagnostics later.
public struct Message: Error, Equatable, CustomStringConvertible {
    public var text: String
    /// Where in the text the problem is, when known (an offset into a scalar or document).
    public var offset: Int?

    public init(_ text: String, offset: Int? = nil) {
        self.text = text
        self.offset = offset
    }

    public var description: String { text }
}
