import Foundation
import LoomStore
import LoomTestSupport
import Testing

@Suite struct AppRepositoryTests {
    static func submission(_ slug: String, source: String, sha: String? = nil) -> VersionSubmission {
        VersionSubmission(
            slug: slug, name: slug.capitalized, mode: "workflow", description: nil, source: source, format: "yaml",
            canonicalJSON: #"{"app":"\#(slug)"}"#, sha256: sha ?? Secret.hash(source), author: "tester", message: "")
    }

    @Test func deployingCreatesVersionsOnlyForNewContent() async throws {
        try await TestDatabase.withStore { store in
            let first = try await store.apps.deploy(Self.submission("triage", source: "a"))
            #expect(first.created && first.version == 1)
            #expect(first.app.draftVersion == 1 && first.app.publishedVersion == nil)
            let same = try await store.apps.deploy(Self.submission("triage", source: "a"))
            #expect(!same.created && same.version == 1)
            let second = try await store.apps.deploy(Self.submission("triage", source: "b"))
            #expect(second.created && second.version == 2)
            let versions = try await store.apps.versions("triage")
            #expect(versions.map(\.number) == [1, 2])
            let stored = try await store.apps.version("triage", 1)
            #expect(stored.source == "a" && stored.author == "tester" && stored.sha256 == Secret.hash("a"))
        }
    }

    @Test func publishRollBackAndPublishAgain() async throws {
        try await TestDatabase.withStore { store in
            for source in ["v1", "v2", "v3"] { _ = try await store.apps.deploy(Self.submission("flow", source: source)) }
            await #expect(throws: StoreError.notPublished("flow")) { try await store.apps.rollback("flow") }
            #expect(try await store.apps.publish("flow", version: 1, by: "a").publishedVersion == 1)
            await #expect(throws: StoreError.nothingToRollBack("flow")) { try await store.apps.rollback("flow") }
            #expect(try await store.apps.publish("flow", version: nil, by: "a").publishedVersion == 3)
            #expect(try await store.apps.publish("flow", version: 2, by: "a").publishedVersion == 2)
            #expect(try await store.apps.rollback("flow").publishedVersion == 3)
            #expect(try await store.apps.rollback("flow").publishedVersion == 1)
            await #expect(throws: StoreError.nothingToRollBack("flow")) { try await store.apps.rollback("flow") }
        }
    }

    @Test func publishingAMissingVersionOrAppIsAnError() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.apps.deploy(Self.submission("flow", source: "x"))
            await #expect(throws: StoreError.versionNotFound(app: "flow", version: 7)) { try await store.apps.publish("flow", version: 7, by: "a") }
            await #expect(throws: StoreError.appNotFound("ghost")) { try await store.apps.publish("ghost", version: nil, by: "a") }
            await #expect(throws: StoreError.versionNotFound(app: "flow", version: 9)) { try await store.apps.version("flow", 9) }
        }
    }

    @Test func deletingAnAppRemovesItsVersionsAndKeys() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.apps.deploy(Self.submission("gone", source: "x"))
            let key = try await store.keys.create(app: "gone")
            try await store.apps.delete("gone")
            #expect(try await store.apps.find("gone") == nil)
            #expect(try await store.keys.grant(for: key.secret) == nil)
            await #expect(throws: StoreError.appNotFound("gone")) { try await store.apps.delete("gone") }
        }
    }
}

@Suite struct KeyRepositoryTests {
    @Test func keysAreStoredAsHashesAndRevocationIsImmediate() async throws {
        try await TestDatabase.withStore { store in
            _ = try await store.apps.deploy(AppRepositoryTests.submission("triage", source: "a"))
            let (record, secret) = try await store.keys.create(app: "triage", name: "ci")
            #expect(secret.hasPrefix("loom-") && secret.count == 37)
            #expect(record.prefix == String(secret.prefix(13)))
            var stored: [String] = []
            for try await hash in try await store.client.query("SELECT secret_hash FROM api_keys").decode(String.self) { stored.append(hash) }
            #expect(stored == [Secret.hash(secret)])
            #expect(!stored.contains(secret))
            let grant = try #require(try await store.keys.grant(for: secret))
            #expect(grant.app == "triage" && grant.keyId == record.id)
            #expect(try await store.keys.grant(for: secret + "x") == nil)
            try await store.keys.revoke(record.id)
            #expect(try await store.keys.grant(for: secret) == nil)
            #expect(try await store.keys.list(app: "triage").first?.revokedAt != nil)
            await #expect(throws: StoreError.self) { try await store.keys.revoke(UUID()) }
        }
    }
}
