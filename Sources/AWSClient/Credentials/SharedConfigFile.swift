import Foundation

/// The shared AWS configuration and credentials files (`~/.aws/config`, `~/.aws/credentials`),
/// parsed as the AWS SDKs read them.
///
/// Rules: `#` and `;` start comment lines; keys are case-insensitive (lower-cased here); a key
/// with an empty value followed by indented `key = value` lines is a sub-section
/// (`s3 =` / `  addressing_style = path`). In the config file a profile is `[profile name]`, the
/// default profile `[default]` (or `[profile default]`, which wins); a bare `[name]` there is not a
/// profile. In the credentials file every section is a profile named as written. Where both files
/// set a key for the same profile, the credentials file wins.
public struct SharedConfig: Sendable, Equatable {
    /// One profile's settings.
    public struct Profile: Sendable, Equatable {
        /// The profile name.
        public var name: String
        /// `key = value` settings, keys lower-cased.
        public var values: [String: String]
        /// Indented sub-sections (`s3 =` followed by indented settings), by parent key.
        public var subsections: [String: [String: String]]

        /// Creates a profile.
        public init(name: String, values: [String: String] = [:], subsections: [String: [String: String]] = [:]) {
            self.name = name
            self.values = values
            self.subsections = subsections
        }

        /// A setting, `nil` when absent or empty.
        public subscript(key: String) -> String? {
            guard let value = values[key.lowercased()], !value.isEmpty else { return nil }
            return value
        }
    }

    /// Profiles by name, the two files merged.
    public var profiles: [String: Profile]
    /// `[services name]` sections of the config file: service key → settings.
    public var services: [String: [String: [String: String]]]
    /// `[sso-session name]` sections of the config file.
    public var ssoSessions: [String: [String: String]]

    /// Creates a configuration from parsed parts.
    public init(
        profiles: [String: Profile] = [:], services: [String: [String: [String: String]]] = [:],
        ssoSessions: [String: [String: String]] = [:]
    ) {
        self.profiles = profiles
        self.services = services
        self.ssoSessions = ssoSessions
    }

    /// Parses the text of the two files (either may be empty).
    public init(configText: String, credentialsText: String) {
        var profiles: [String: Profile] = [:]
        var services: [String: [String: [String: String]]] = [:]
        var ssoSessions: [String: [String: String]] = [:]
        var explicitDefault: Profile?
        for section in Self.sections(configText) {
            let words = section.name.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if words.count == 2, words[0] == "profile" {
                var profile = section.profile
                profile.name = words[1]
                if words[1] == "default" { explicitDefault = profile } else { profiles[words[1]] = profile }
            } else if words == ["default"] {
                profiles["default"] = section.profile
            } else if words.count == 2, words[0] == "services" {
                services[words[1]] = section.profile.subsections
            } else if words.count == 2, words[0] == "sso-session" {
                ssoSessions[words[1]] = section.profile.values
            }
        }
        if let explicitDefault { profiles["default"] = explicitDefault }
        for section in Self.sections(credentialsText) {
            var merged = profiles[section.name] ?? Profile(name: section.name)
            for (key, value) in section.profile.values { merged.values[key] = value }
            for (key, value) in section.profile.subsections { merged.subsections[key] = value }
            profiles[section.name] = merged
        }
        self.profiles = profiles
        self.services = services
        self.ssoSessions = ssoSessions
    }

    /// Reads the files at these paths; a missing file reads as empty, an unreadable one throws.
    public init(files: SharedConfigFiles) throws {
        self.init(configText: try Self.read(files.config), credentialsText: try Self.read(files.credentials))
    }

    private static func read(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else { return "" }
        do {
            return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
        } catch {
            throw CredentialsError(source: "config-file", message: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    private struct Section {
        var name: String
        var profile: Profile
    }

    private static func sections(_ text: String) -> [Section] {
        var result: [Section] = []
        var current: Section?
        var openSubsection: String?
        for rawLine in text.components(separatedBy: .newlines) {
            let trimmed = rawLine.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix(";") { continue }
            if trimmed.hasPrefix("["), let close = trimmed.lastIndex(of: "]") {
                if let current { result.append(current) }
                let name = trimmed[trimmed.index(after: trimmed.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                current = Section(name: name, profile: Profile(name: name))
                openSubsection = nil
                continue
            }
            guard current != nil, let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            let indented = rawLine.first == " " || rawLine.first == "\t"
            if indented, let parent = openSubsection {
                current?.profile.subsections[parent, default: [:]][key] = value
            } else if value.isEmpty {
                openSubsection = key
                if current?.profile.subsections[key] == nil { current?.profile.subsections[key] = [:] }
            } else {
                openSubsection = nil
                current?.profile.values[key] = value
            }
        }
        if let current { result.append(current) }
        return result
    }
}

/// Where the shared files are: `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`, else
/// `~/.aws/config` and `~/.aws/credentials` (`~` from `HOME`).
public struct SharedConfigFiles: Sendable, Equatable {
    /// Path of the config file.
    public var config: String
    /// Path of the credentials file.
    public var credentials: String

    /// Explicit paths.
    public init(config: String, credentials: String) {
        self.config = config
        self.credentials = credentials
    }

    /// The paths the environment selects.
    public init(environment: [String: String]) {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        func expand(_ path: String) -> String {
            path.hasPrefix("~/") ? home + path.dropFirst() : path
        }
        config = expand(environment["AWS_CONFIG_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "~/.aws/config")
        credentials = expand(
            environment["AWS_SHARED_CREDENTIALS_FILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "~/.aws/credentials")
    }
}
