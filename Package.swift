// swift-tools-version: 6.1
import PackageDescription
import Foundation

let package = Package(
    name: "RiskGate",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "RiskGate", targets: ["RiskGatePolicy", "RiskGateEngine", "RiskGate", "RiskGateReplay"]),
        .executable(name: "riskgate", targets: ["riskgate"]),
        .executable(name: "riskgate-bench", targets: ["riskgate-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        // Under Hummingbird already; named for ByteBuffer/Channel and the thread pool for blocking work.
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        // Under HummingbirdTLS already; named for loading PEM certificates and keys.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        // Under Hummingbird already; named for the periodic audit-head log line, a `Service`.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        // The webhook client of the outbox deliverer.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        // The PostgreSQL store (`RiskGatePostgres`), so replicas can share one database.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        // System C libraries, wrapped the way swift-nio wraps CNIOLinux.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Digests, HMAC, AES-GCM and constant-time comparison (OpenSSL libcrypto).
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Argon2id for KBA answers (the reference implementation).
        .systemLibrary(name: "CArgon2", pkgConfig: "libargon2", providers: [.apt(["libargon2-dev"])]),
        // MaxMind DB lookups (MaxMind's reference reader).
        .systemLibrary(name: "CMaxMindDB", pkgConfig: "libmaxminddb", providers: [.apt(["libmaxminddb-dev"])]),
        // The core modules: Foundation and system C libraries only (docs/architecture.md).
        // The policy language: YAML → AST → checked → CompiledPolicy, with the diagnostics, the signal
        // catalogue, the value model and the request and decision types a policy reads and yields.
        .target(name: "RiskGatePolicy", dependencies: ["CYAML", "CCrypto"]),
        // The engine: signals, scoring, evaluation, challenges with lockout, secrets, identity, the user
        // state and its codec, the pure decision kernel, and JSON (the reader with the request parser the
        // service, `decide`, the stores and replay share; the compact writer). No store and no clock.
        .target(name: "RiskGateEngine", dependencies: ["RiskGatePolicy", "CCrypto", "CArgon2", "CMaxMindDB"]),
        // The store and the service: the `StateStore` protocol with the memory and SQLite stores, the
        // audit chain, the challenge service and account admin, and `DecisionEngine`, which commits
        // the kernel's result in one transaction.
        .target(name: "RiskGate", dependencies: ["RiskGatePolicy", "RiskGateEngine", "CSQLite"]),
        // Replay: the JSONL event reader, the replay engine and its shards (the kernel with the label's
        // side of each challenge), the harness, the report model and its text and HTML renderers; and
        // the RBA CSV importer, the synthetic stream generator and the JSONL event writer both use.
        .target(name: "RiskGateReplay", dependencies: ["RiskGatePolicy", "RiskGateEngine", "RiskGate"]),
        // The HTTP service: a thin Hummingbird layer over a `DecisionBackend`.
        .target(
            name: "RiskGateServer",
            dependencies: [
                "RiskGatePolicy",
                "RiskGateEngine",
                "RiskGate",
                .product(name: "Hummingbird", package: "hummingbird"),
                // Named for `HTTPServerBuilder`, to choose plain HTTP or TLS.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // TLS for `serve --tls-cert/--tls-key`, over swift-nio-ssl (BoringSSL).
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Posts outbox messages to a webhook, signed, with retries and dead letters; run by `serve`
        // beside the HTTP service and by `riskgate deliver` on its own.
        .target(
            name: "RiskGateDelivery",
            dependencies: [
                "RiskGatePolicy",
                "RiskGateEngine",
                "RiskGate",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // The thread pool for the store's blocking calls.
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The PostgreSQL state store: the core's `StateStore` over postgres-nio, for many replicas on
        // one database (docs/state.md). Its own target so the core keeps no package dependencies.
        .target(
            name: "RiskGatePostgres",
            dependencies: [
                "RiskGatePolicy",
                "RiskGateEngine",
                "RiskGate",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Under PostgresNIO already; named for its event loops, TLS and logger types.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "riskgate",
            dependencies: [
                "RiskGatePolicy",
                "RiskGateEngine",
                "RiskGate",
                "RiskGateReplay",
                "RiskGateServer",
                "RiskGateDelivery",
                "RiskGatePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                // Runs `riskgate deliver`'s deliverer until SIGTERM or SIGINT.
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "riskgate-bench",
            dependencies: [
                "RiskGatePolicy",
                "RiskGateEngine",
                "RiskGate",
                "RiskGateReplay",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What each parser must keep for any input (docs/fuzzing.md): called by the libFuzzer
        // harnesses below and by RiskGateFuzzTests, which replays the committed corpora.
        .target(
            name: "RiskGateFuzzChecks",
            dependencies: [
                "RiskGatePolicy", "RiskGateEngine", "RiskGate", "RiskGateReplay", "RiskGateServer", "CSQLite",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The store contract tests run on memory, SQLite and PostgreSQL (when RISKGATE_TEST_POSTGRES_URL
        // names a database, see scripts/with-postgres.sh); PostgresNIO creates a database per test.
        .testTarget(
            name: "RiskGateTests",
            dependencies: [
                "RiskGatePolicy", "RiskGateEngine", "RiskGate", "RiskGateReplay", "RiskGatePostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            resources: [.copy("Compiler/Corpus")]),
        .testTarget(name: "RiskGateFuzzTests", dependencies: ["RiskGateFuzzChecks"]),
        .testTarget(
            name: "RiskGateServerTests",
            dependencies: [
                "RiskGatePolicy",
                "RiskGateEngine",
                "RiskGate",
                "RiskGateServer",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The deliverer against a real HTTP receiver on 127.0.0.1 (a Hummingbird app in the test).
        .testTarget(
            name: "RiskGateDeliveryTests",
            dependencies: [
                "RiskGatePolicy",
                "RiskGateEngine",
                "RiskGate",
                "RiskGateDelivery",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Runs the built `riskgate` executable as a user would and checks exit statuses and output
        // (SPEC §6). It links none of the RiskGate modules: `swift test` builds every product, `riskgate`
        // included, before it runs the tests, and the tests find the binary beside their own.
        // CSQLite only lets the audit test tamper with a state database.
        .testTarget(name: "RiskGateCLITests", dependencies: ["CSQLite"]),
    ]
)

// libFuzzer harnesses (docs/fuzzing.md), one a parser: declared only when RISKGATE_FUZZ is set, so
// `swift build` and `swift test` never compile them. scripts/fuzz.sh builds them with
// `-sanitize=fuzzer,address` in .build-fuzz. Each harness's top-level code hands its check to
// `LLVMFuzzerRunDriver` (FuzzDriver), so SwiftPM's `--defsym main=<target>_main` is the program's
// entry and libFuzzer's own `main` is never linked in. lld, because gold stops with an internal
// error (dwarf_reader.cc:2713) on these objects.
if ProcessInfo.processInfo.environment["RISKGATE_FUZZ"] != nil {
    package.targets.append(.target(name: "FuzzDriver", dependencies: ["RiskGateFuzzChecks"], path: "Fuzz/Driver"))
    for name in ["policy", "request", "replay", "csv", "mmdb", "state", "audit"] {
        package.targets.append(.executableTarget(
            name: "fuzz-\(name)", dependencies: ["FuzzDriver"], path: "Fuzz/Harnesses/\(name)",
            linkerSettings: [.unsafeFlags(["-use-ld=lld"])]))
    }
}
