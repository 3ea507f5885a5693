@testable import LoomServer
import LoomStore
import LoomTestSupport
import Testing

/// Where semantic search runs, decided against the database: the test command's Debian PostgreSQL has no
/// pgvector, its second cluster (deploy/pgvector) offers it.
@Suite struct VectorSearchTests {
    @Test func withoutPgvectorAutoSearchesInProcessAndAskingForItSaysWhatToDo() async throws {
        try await TestDatabase.withStore { store async throws in
            #expect(try await VectorSearch.decide(.auto, store: store) == .inProcess)
            #expect(try await VectorSearch.decide(.memory, store: store) == .inProcess)
            await #expect {
                try await VectorSearch.decide(.pgvector, store: store)
            } throws: { error in
                "\(error)".contains("does not offer the pgvector extension") && "\(error)".contains("LOOM_VECTOR_SEARCH=memory")
            }
        }
    }

    @Test func askingForPgvectorInstallsItAndAutoTakesItOnceInstalled() async throws {
        try await TestDatabase.withStore(on: .pgvector) { store async throws in
            #expect(try await store.datasets.pgvector() == ("available", "0.6.2"))
            #expect(try await VectorSearch.decide(.auto, store: store) == .inProcess, "available is not installed: auto leaves it alone")
            #expect(try await VectorSearch.decide(.memory, store: store) == .inProcess)
            #expect(try await VectorSearch.decide(.pgvector, store: store) == .pgvector(version: "0.6.2"))
            #expect(try await store.datasets.pgvector() == ("installed", "0.6.2"))
            #expect(try await VectorSearch.decide(.auto, store: store) == .pgvector(version: "0.6.2"))
        }
    }

    @Test func aServerOnADatabaseWithPgvectorInstalledSaysItSearchesThere() async throws {
        let url = try await TestDatabase.create(on: .pgvector)
        try await ServerHarness.with(databaseURL: url, configure: { $0.vectorSearch = .pgvector }) { server async throws in
            let health = try await server.request(.GET, "/healthz")
            #expect(health.body[path: ["vector_search"]] == "pgvector 0.6.2" && health.body[path: ["database", "pgvector"]] == "installed 0.6.2", "\(health.body)")
        }
        try await ServerHarness.with(databaseURL: url) { server async throws in
            #expect(try await server.request(.GET, "/healthz").body[path: ["vector_search"]] == "pgvector 0.6.2", "auto takes it once installed")
        }
    }

    @Test func theSettingIsReadFromTheEnvironment() throws {
        #expect(try ServerConfiguration(environment: [:]).vectorSearch == .auto)
        #expect(try ServerConfiguration(environment: ["LOOM_VECTOR_SEARCH": "pgvector"]).vectorSearch == .pgvector)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["LOOM_VECTOR_SEARCH": "faiss"]) }
    }
}
