import LoomServer
import Testing

struct ServerConfigurationTests {
    @Test func searchSettingsComeFromTheEnvironment() throws {
        let configuration = try ServerConfiguration(environment: [
            "LOOM_EXACT_SEARCH_LIMIT": "5000", "LOOM_HNSW_M": "32", "LOOM_HNSW_EF_CONSTRUCTION": "200", "LOOM_HNSW_EF_SEARCH": "128",
            "LOOM_MAX_UPLOAD_MB": "2",
        ])
        #expect(configuration.exactSearchLimit == 5000)
        #expect(configuration.hnsw.m == 32 && configuration.hnsw.efConstruction == 200 && configuration.hnsw.efSearch == 128)
        #expect(configuration.maxUploadBytes == 2 << 20)
        let defaults = try ServerConfiguration(environment: [:])
        #expect(defaults.exactSearchLimit == 20_000 && defaults.hnsw.m == 16 && defaults.hnsw.efSearch == 64)
    }

    @Test func aBadNumberIsRefusedNamingTheVariable() {
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(environment: ["LOOM_HNSW_EF_SEARCH": "many"]) }
        #expect {
            try ServerConfiguration(environment: ["LOOM_HNSW_M": "-3"])
        } throws: { error in
            "\(error)" == "LOOM_HNSW_M must be a positive number, got '-3'"
        }
    }
}
