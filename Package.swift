// swift-tools-version:6.0
// strata: an infrastructure provisioning compiler for AWS Kubernetes platforms.
// One target per concern; see ../shared/DESIGN.md ("Layout") and each target's README.md.
import PackageDescription

let package = Package(
    name: "strata",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "strata", targets: ["strata"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // System libraries, each behind a thin C shim header.
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // What every other target shares, with no I/O: values, addresses, schemas, plans, JSON.
        .target(name: "StrataModel", exclude: ["README.md"]),

        // The compiler half: pure, no I/O beyond reading files.
        .target(name: "StrataSyntax", dependencies: ["StrataModel", .product(name: "Yams", package: "Yams")], exclude: ["README.md"]),
        .target(name: "StrataGraph", dependencies: ["StrataModel"], exclude: ["README.md"]),
        .target(name: "StrataCompiler", dependencies: ["StrataModel", "StrataSyntax", "StrataGraph"], exclude: ["README.md"]),

        // Talking to AWS.
        .target(name: "AWSSigner", dependencies: ["CCrypto"], exclude: ["README.md"]),
        .target(name: "AWSClient", dependencies: ["StrataModel", "AWSSigner", "CCurl"], exclude: ["README.md"]),

        // Live state, plans and applies.
        .target(name: "StrataKubernetes", dependencies: ["StrataModel", "AWSClient"], exclude: ["README.md"]),
        .target(
            name: "StrataProviders", dependencies: ["StrataModel", "StrataSyntax", "AWSClient", "StrataKubernetes"], exclude: ["README.md"]),
        .target(
            name: "StrataPlanner", dependencies: ["StrataModel", "StrataCompiler", "StrataProviders", "AWSClient", "AWSSigner"],
            exclude: ["README.md"]),
        .target(
            name: "StrataExecutor", dependencies: ["StrataModel", "StrataPlanner", "StrataProviders", "StrataCompiler", "AWSClient"],
            exclude: ["README.md"]),
        .target(
            name: "StrataRollouts",
            dependencies: [
                "StrataModel", "StrataKubernetes", "StrataProviders", "StrataPlanner", "StrataExecutor", "AWSClient",
            ],
            exclude: ["README.md"]),

        // The command line.
        .executableTarget(
            name: "strata",
            dependencies: [
                "StrataModel", "StrataSyntax", "StrataCompiler", "StrataGraph", "AWSSigner", "AWSClient",
                "StrataKubernetes", "StrataProviders", "StrataPlanner", "StrataExecutor", "StrataRollouts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"]
        ),

        // Shared by integration tests: starts (or reuses) the local AWS sandbox.
        .target(name: "StrataTestSupport", dependencies: ["StrataModel", "AWSClient", "AWSSigner"], path: "Tests/StrataTestSupport"),

        .testTarget(name: "StrataSyntaxTests", dependencies: ["StrataModel", "StrataSyntax"]),
        .testTarget(name: "StrataGraphTests", dependencies: ["StrataModel", "StrataGraph"]),
        .testTarget(
            name: "StrataCompilerTests",
            dependencies: ["StrataModel", "StrataCompiler", "StrataSyntax", "StrataGraph", "StrataProviders", "StrataTestSupport"]),
        .testTarget(name: "AWSSignerTests", dependencies: ["AWSSigner"], resources: [.copy("Fixtures")]),
        .testTarget(name: "AWSClientTests", dependencies: ["StrataModel", "AWSClient", "AWSSigner", "StrataTestSupport"]),
        .testTarget(name: "StrataKubernetesTests", dependencies: ["StrataModel", "StrataKubernetes", "AWSClient", "StrataTestSupport"]),
        .testTarget(name: "StrataProvidersTests", dependencies: ["StrataModel", "StrataProviders", "AWSClient", "StrataTestSupport"]),
        .testTarget(
            name: "StrataPlannerTests",
            dependencies: [
                "StrataModel", "StrataPlanner", "AWSSigner", "StrataProviders", "StrataCompiler", "AWSClient", "StrataTestSupport",
            ]),
        .testTarget(
            name: "StrataExecutorTests",
            dependencies: [
                "StrataModel", "StrataExecutor", "StrataPlanner", "StrataProviders", "StrataCompiler", "AWSClient", "StrataTestSupport",
            ]),
        .testTarget(
            name: "StrataRolloutsTests",
            dependencies: [
                "StrataModel", "StrataRollouts", "StrataKubernetes", "StrataExecutor", "StrataPlanner", "StrataProviders",
                "StrataCompiler", "AWSClient", "StrataTestSupport",
            ]),
        .testTarget(
            name: "StrataCLITests", dependencies: ["StrataModel", "StrataTestSupport", "AWSClient", "StrataCompiler", "StrataProviders"]),
    ]
)
