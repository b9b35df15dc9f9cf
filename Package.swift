// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "RiskGate",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "RiskGate", targets: ["RiskGate"]),
        .executable(name: "riskgate", targets: ["riskgate"]),
        .executable(name: "riskgate-bench", targets: ["riskgate-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System C libraries, wrapped the way swift-nio wraps CNIOLinux.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // The core: Foundation and system C libraries only.
        .target(
            name: "RiskGate",
            dependencies: ["CYAML", "CSQLite"]
        ),
        .executableTarget(
            name: "riskgate",
            dependencies: ["RiskGate", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "riskgate-bench",
            dependencies: ["RiskGate", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "RiskGateTests", dependencies: ["RiskGate"], resources: [.copy("Compiler/Corpus")]),
    ]
)
