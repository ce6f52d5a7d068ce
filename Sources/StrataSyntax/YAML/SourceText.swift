import StrataModel

/// A file's bytes as the text the loader reads: UTF-8 only, checked rather than repaired (a
/// repaired byte would silently become U+FFFD inside a name or a policy), a leading byte-order
/// mark skipped (editors on Windows write one), and a size bound, since every later stage
/// holds the file several times over.
public enum SourceText {
    /// Stack and module files are read up to this size. The largest shipped stack is a few KB; a
    /// generated stack of 100,000 small resources is under 10 MiB.
    public static let maximumBytes = 10 * 1024 * 1024

    /// The text of `bytes`, or the diagnostic that says why it is not text strata reads.
    public static func decode(_ bytes: [UInt8], file: String) -> (text: String?, problem: Diagnostic?) {
        guard bytes.count <= maximumBytes else { return (nil, .fileTooLarge(bytes.count, at: file)) }
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let text = String(validating: body, as: UTF8.self) { return (text, nil) }
        return (nil, .invalidUTF8(at: firstInvalidByte(body, file: file)))
    }

    /// Where decoding fails, counted as libyaml counts: lines from 1, columns in Unicode scalars.
    private static func firstInvalidByte(_ bytes: ArraySlice<UInt8>, file: String) -> SourceSpan {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var line = 1, column = 1
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            case .emptyInput, .error:
                return SourceSpan(file: file, line: line, column: column)
            }
        }
    }
}

extension Diagnostic {
    public static func fileTooLarge(_ size: Int, at file: String) -> Diagnostic {
        .error(
            "the file is \(size / 1024 / 1024) MiB; strata reads stack and module files up to \(SourceText.maximumBytes / 1024 / 1024) MiB",
            at: SourceSpan(file: file, line: 1, column: 1),
            detail: "split the stack into modules, or generate fewer resources per file")
    }

    static func invalidUTF8(at span: SourceSpan) -> Diagnostic {
        .error("the file is not UTF-8 text: an invalid byte here", at: span, detail: "save the file as UTF-8")
    }
}
