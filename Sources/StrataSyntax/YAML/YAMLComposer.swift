import CYaml
import StrataModel

/// libyaml's event stream composed into a tree, the way `Yams.compose` does it, minus the check
/// that makes Yams throw at the first mapping with a repeated key: `YAMLLoader` reports every
/// duplicate itself as it converts, in one pass. (With Yams the file had to be parsed again after
/// each duplicate, quadratic in their number.) Aliases come back as the node their anchor names,
/// as with Yams, and nesting is bounded here already, since composing recurses.
enum YAMLComposer {
    /// A node as libyaml reported it: where it starts (line and column from 1, columns in
    /// Unicode scalars) and, for collections, whether it is written in flow style.
    indirect enum Node {
        case scalar(String, YAMLNode.Scalar.Style, SourcePosition)
        case mapping([(key: Node, value: Node)], flow: Bool, SourcePosition)
        case sequence([Node], flow: Bool, SourcePosition)

        var isScalar: Bool {
            if case .scalar = self { return true }
            return false
        }

        var start: SourcePosition {
            switch self {
            case .scalar(_, _, let start), .mapping(_, _, let start), .sequence(_, _, let start): start
            }
        }
    }

    /// Malformed YAML: libyaml's problem and position, with the construct it was reading.
    struct Failure: Error {
        var problem: String
        var position: SourcePosition
        /// Where the offending text ends, when it is more than one character.
        var end: SourcePosition?
        var context: (text: String, position: SourcePosition)?
        /// Set when the input itself is not YAML text (a byte that is not UTF-8, a control
        /// character): the problem is the byte's, not the syntax's.
        var isReaderError = false
    }

    /// The single document in `text`, or nil for an empty stream.
    static func compose(_ text: String) throws(Failure) -> Node? {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { (buffer) throws(Failure) -> Node? in
            let parser = Parser(input: buffer, text: text)
            return try parser.document()
        }
    }

    /// A class: libyaml keeps a pointer to its parser state (`read_handler_data`), so the
    /// state must not move.
    private final class Parser {
        var parser = yaml_parser_t()
        let text: String
        var anchors: [String: Node] = [:]

        init(input: UnsafeMutableBufferPointer<UInt8>, text: String) {
            self.text = text
            yaml_parser_initialize(&parser)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            yaml_parser_set_input_string(&parser, input.baseAddress, input.count)
        }

        deinit { yaml_parser_delete(&parser) }

        func document() throws(Failure) -> Node? {
            var event = try next()  // stream start
            yaml_event_delete(&event)
            event = try next()
            defer { yaml_event_delete(&event) }
            guard event.type == YAML_DOCUMENT_START_EVENT else { return nil }
            var first = try next()
            let root = try node(from: &first, depth: 1)
            var end = try next()  // document end
            yaml_event_delete(&end)
            var after = try next()
            defer { yaml_event_delete(&after) }
            if after.type != YAML_STREAM_END_EVENT {
                throw Failure(
                    problem: "but found another document", position: Self.position(after.start_mark),
                    context: ("expected a single document in the stream", SourcePosition(line: 1, column: 1)))
            }
            return root
        }

        private func next() throws(Failure) -> yaml_event_t {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else { throw failure() }
            return event
        }

        /// The node `event` starts; consumes the events up to its end and frees `event`.
        private func node(from event: inout yaml_event_t, depth: Int) throws(Failure) -> Node {
            defer { yaml_event_delete(&event) }
            let start = Self.position(event.start_mark)
            if depth > YAMLLoader.maximumDepth, event.type == YAML_MAPPING_START_EVENT || event.type == YAML_SEQUENCE_START_EVENT {
                throw Failure(problem: YAMLLoader.nestedTooDeeply, position: start)
            }
            switch event.type {
            case YAML_ALIAS_EVENT:
                let name = String(cString: event.data.alias.anchor)
                guard let node = anchors[name] else { throw Failure(problem: "found undefined alias", position: start) }
                return node
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                let value = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                let node = Node.scalar(value, Self.style(scalar.style), start)
                if let anchor = scalar.anchor { anchors[String(cString: anchor)] = node }
                return node
            case YAML_SEQUENCE_START_EVENT:
                var items: [Node] = []
                while true {
                    var item = try next()
                    if item.type == YAML_SEQUENCE_END_EVENT {
                        yaml_event_delete(&item)
                        break
                    }
                    items.append(try node(from: &item, depth: depth + 1))
                }
                let sequence = event.data.sequence_start
                let node = Node.sequence(items, flow: sequence.style == YAML_FLOW_SEQUENCE_STYLE, start)
                if let anchor = sequence.anchor { anchors[String(cString: anchor)] = node }
                return node
            case YAML_MAPPING_START_EVENT:
                var pairs: [(key: Node, value: Node)] = []
                while true {
                    var keyEvent = try next()
                    if keyEvent.type == YAML_MAPPING_END_EVENT {
                        yaml_event_delete(&keyEvent)
                        break
                    }
                    // strata's keys are scalars; an alias to a collection as a key would be
                    // expanded (a billion laughs as a key) before any check of keys saw it.
                    if keyEvent.type == YAML_ALIAS_EVENT, let target = anchors[String(cString: keyEvent.data.alias.anchor)],
                        !target.isScalar
                    {
                        let (start, end) = (Self.position(keyEvent.start_mark), Self.position(keyEvent.end_mark))
                        yaml_event_delete(&keyEvent)
                        throw Failure(problem: YAMLLoader.aliasToCollectionAsKey, position: start, end: end)
                    }
                    let key = try node(from: &keyEvent, depth: depth + 1)
                    var valueEvent = try next()
                    pairs.append((key, try node(from: &valueEvent, depth: depth + 1)))
                }
                let mapping = event.data.mapping_start
                let node = Node.mapping(pairs, flow: mapping.style == YAML_FLOW_MAPPING_STYLE, start)
                if let anchor = mapping.anchor { anchors[String(cString: anchor)] = node }
                return node
            default:
                throw Failure(problem: "unexpected YAML event", position: start)
            }
        }

        private func failure() -> Failure {
            let problem = parser.problem.map { String(cString: $0) } ?? "cannot parse YAML"
            if parser.error == YAML_READER_ERROR {
                return Failure(problem: problem, position: position(ofByte: parser.problem_offset), isReaderError: true)
            }
            let context = parser.context.map { (String(cString: $0), Self.position(parser.context_mark)) }
            return Failure(problem: problem, position: Self.position(parser.problem_mark), context: context)
        }

        /// libyaml reports reader errors as a byte offset only.
        private func position(ofByte offset: Int) -> SourcePosition {
            var line = 1, column = 1
            for scalar in String(decoding: text.utf8.prefix(offset), as: UTF8.self).unicodeScalars {
                if scalar == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += 1
                }
            }
            return SourcePosition(line: line, column: column)
        }

        private static func position(_ mark: yaml_mark_t) -> SourcePosition {
            SourcePosition(line: mark.line + 1, column: mark.column + 1)
        }

        private static func style(_ style: yaml_scalar_style_t) -> YAMLNode.Scalar.Style {
            switch style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: .literal
            case YAML_FOLDED_SCALAR_STYLE: .folded
            default: .plain
            }
        }
    }
}
