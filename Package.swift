// swift-tools-version: 6.1
import Foundation
import PackageDescription

// The inference kernels are optimised even in debug builds, and for the CPU that builds them: its integer
// multiply-adds (AVX2, AVX-512, NEON dot products) make quantised decoding several times faster. A build meant
// for other machines (a container image) sets LOOM_TARGET_CPU to a baseline such as haswell or x86-64.
let targetCPU = ProcessInfo.processInfo.environment["LOOM_TARGET_CPU"] ?? "native"
let kernelFlags: [String] = ["-O", "-target-cpu", targetCPU]
// Swift has no test for target features, so a native build on a CPU with AVX-512 says so itself: the 4-bit
// kernels then turn values into weights with its 16-lane permute (NibbleTable). The permute and the conversion of
// two halves at once are LLVM operations Swift does not expose, reached through the Builtin module.
// With AVX-512's 8-bit dot products (VNNI) too, decoding multiplies quantised blocks as integers (InterleavedBlocks).
let cpuFlags = targetCPU == "native" ? (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "" : ""
let cpuFeatureDefines: [SwiftSetting] =
    (cpuFlags.contains(" avx512f ") ? [.define("LOOM_NIBBLE_TABLES")] : []) + (cpuFlags.contains(" avx512_vnni ") ? [.define("LOOM_VNNI")] : [])

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "loom", targets: ["loom"]),
        .library(name: "LoomWorkflow", targets: ["LoomWorkflow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // The workflow model and engine: no I/O of its own; models, HTTP and tools come in through protocols.
        .target(
            name: "LoomWorkflow",
            dependencies: [
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Code nodes' programs in a bubblewrap sandbox, as child processes (Foundation's Process; no NIO).
        .target(
            name: "LoomSandbox",
            dependencies: ["LoomWorkflow"]
        ),
        // OpenBLAS through pkg-config (Debian's libopenblas-dev).
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        // The bundled inference engine: model files, tokenizers, Llama and BERT, generation. No NIO; kernels are
        // optimised even in debug builds so tests run the real models at speed.
        .target(
            name: "LoomInference",
            dependencies: ["COpenBLAS", .product(name: "Crypto", package: "swift-crypto"), .product(name: "Logging", package: "swift-log")],
            swiftSettings: [.unsafeFlags(kernelFlags), .enableExperimentalFeature("BuiltinModule")] + cpuFeatureDefines
        ),
        // Knowledge datasets without I/O beyond reading files: document readers, the chunker, vector indexes and rank fusion.
        .target(
            name: "LoomKnowledge",
            dependencies: ["LoomWorkflow", "LoomInference", "COpenBLAS", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: [.unsafeFlags(kernelFlags)]
        ),
        // `loom worker`: the OpenAI-compatible API over the bundled engine, the pool that runs and routes to workers,
        // and the fine-tune job runner (which claims jobs from the store).
        .target(
            name: "LoomWorker",
            dependencies: [
                "LoomInference",
                "LoomWorkflow",
                "LoomStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Implementations of the engine's outward protocols over the network (OpenAI-compatible models, HTTP).
        .target(
            name: "LoomConnectors",
            dependencies: [
                "LoomWorkflow",
                "LoomKnowledge",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // PostgreSQL: migrations and the repositories of apps, versions, keys, runs and conversations.
        .target(
            name: "LoomStore",
            dependencies: [
                "LoomWorkflow",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The REST platform: Dify's Service API per app, the admin API, SSE, metrics, OpenAPI.
        .target(
            name: "LoomServer",
            dependencies: [
                "LoomMCP",
                "LoomWorkflow",
                "LoomKnowledge",
                "LoomConnectors",
                "LoomStore",
                "LoomWorker",
                "LoomSandbox",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "loom",
            dependencies: [
                "LoomWorkflow",
                "LoomConnectors",
                "LoomStore",
                "LoomServer",
                "LoomInference",
                "LoomKnowledge",
                "LoomWorker",
                "LoomSandbox",
                "LoomMCP",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "LoomWorkflowTests",
            dependencies: ["LoomWorkflow", "LoomSandbox"]
        ),
        .testTarget(
            name: "LoomSandboxTests",
            dependencies: ["LoomSandbox", "LoomWorkflow"]
        ),
        // A real HTTP server and an OpenAI-protocol stub for the tests of network-facing code.
        // MCP: published apps served as MCP tools over the Service API (`loom mcp serve`).
        .target(
            name: "LoomMCP",
            dependencies: [
                "LoomWorkflow",
                "LoomConnectors",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "LoomTestSupport",
            dependencies: [
                "LoomStore",
                "LoomWorker",
                "LoomInference",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            path: "Tests/LoomTestSupport"
        ),
        .testTarget(
            name: "LoomInferenceTests",
            dependencies: ["LoomInference"],
            resources: [.copy("Fixtures")],
            swiftSettings: [.unsafeFlags(kernelFlags)] + cpuFeatureDefines
        ),
        .testTarget(
            name: "LoomKnowledgeTests",
            dependencies: ["LoomKnowledge", "LoomWorkflow", "LoomInference"]
        ),
        .testTarget(
            name: "LoomConnectorsTests",
            dependencies: ["LoomConnectors", "LoomWorkflow", "LoomTestSupport"]
        ),
        .testTarget(
            name: "LoomStoreTests",
            dependencies: ["LoomStore", "LoomWorkflow", "LoomTestSupport"]
        ),
        .testTarget(
            name: "LoomServerTests",
            dependencies: [
                "LoomServer", "LoomStore", "LoomWorkflow", "LoomConnectors", "LoomKnowledge", "LoomInference", "LoomTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
        .testTarget(
            name: "LoomWorkerTests",
            dependencies: [
                "LoomWorker", "LoomInference", "LoomTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(
            name: "LoomCLITests",
            dependencies: ["LoomWorkflow", "LoomTestSupport"]
        ),
    ]
)
