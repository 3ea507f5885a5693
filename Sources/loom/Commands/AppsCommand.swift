import ArgumentParser
import Foundation
import LoomWorkflow

struct AppsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apps", abstract: "Deploy, list, publish and roll back apps on a Loom server.",
        subcommands: [Deploy.self, List.self, Show.self, Versions.self, Publish.self, Rollback.self, Diff.self, Export.self, Delete.self])

    struct Deploy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create apps or new draft versions from workflow files.")
        @Argument(help: "Workflow files (YAML or JSON; Dify DSL files too).") var files: [String]
        @Flag(help: "Publish each new version at once.") var publish = false
        @Option(help: "A note stored with the version.") var message = ""
        @Option(help: "Who deploys (default: $USER).") var author: String?
        @OptionGroup var server: ServerOptions
        @OptionGroup var map: DifyMapOption

        func run() async throws {
            let client = server.client()
            let who = author ?? ProcessInfo.processInfo.environment["USER"] ?? "cli"
            let mapping: DifyMapping
            do {
                mapping = try map.mapping()
            } catch {
                for diagnostic in error.diagnostics { print(diagnostic) }
                throw ExitCode(1)
            }
            var results: [Value] = []
            var failed = false
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    print("\(file): cannot read the file")
                    failed = true
                    continue
                }
                var query = URLComponents()
                query.queryItems = [
                    URLQueryItem(name: "file", value: file), URLQueryItem(name: "author", value: who), URLQueryItem(name: "message", value: message),
                    URLQueryItem(name: "publish", value: publish ? "true" : "false"),
                ]
                do {
                    // With a mapping the file travels inside JSON, beside the mapping.
                    let answer =
                        map.path == nil
                        ? try await client.send(.POST, "/admin/apps?" + (query.percentEncodedQuery ?? ""), body: Array(data), contentType: "application/yaml")
                        : try await client.send(
                            .POST, "/admin/apps?" + (query.percentEncodedQuery ?? ""),
                            body: JSONWriter.bytes(["source": .string(String(decoding: data, as: UTF8.self)), "dify_mapping": mapping.value]),
                            contentType: "application/json")
                    results.append(answer)
                    if !server.json {
                        let slug = answer[path: ["app", "slug"]]?.text ?? "?"
                        let version = answer[path: ["version"]]?.text ?? "?"
                        let state = answer[path: ["created"]] == true ? "new version" : "unchanged"
                        print("\(file): \(slug) version \(version) (\(state))\(publish ? ", published" : "")")
                        for node in answer[path: ["dify_import", "unmapped"]]?.arrayValue ?? [] {
                            print("  node '\(node[path: ["node"]]?.text ?? "?")' (\(node[path: ["dify_type"]]?.text ?? "?")) not mapped: \(node[path: ["reason"]]?.text ?? "")")
                        }
                    }
                } catch {
                    failed = true
                    print("\(file): \(error)")
                }
            }
            if server.json { print(JSONWriter.string(.array(results))) }
            if failed { throw ExitCode(1) }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List apps.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/admin/apps")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { app in
                [app[path: ["slug"]]?.text ?? "", app[path: ["mode"]]?.text ?? "", app[path: ["published_version"]]?.text ?? "–",
                 app[path: ["draft_version"]]?.text ?? "–", app[path: ["name"]]?.text ?? ""]
            }
            print(TextTable.render(["APP", "MODE", "PUBLISHED", "DRAFT", "NAME"], rows))
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an app and its versions.")
        @Argument var app: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/admin/apps/\(app)")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            print("\(answer[path: ["slug"]]?.text ?? app) (\(answer[path: ["mode"]]?.text ?? "")): \(answer[path: ["name"]]?.text ?? "")")
            print("published: \(answer[path: ["published_version"]]?.text ?? "–")  draft: \(answer[path: ["draft_version"]]?.text ?? "–")")
            try Versions.table(answer[path: ["versions"]]?.arrayValue ?? [], published: answer[path: ["published_version"]])
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an app's versions.")
        @Argument var app: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let client = server.client()
            let answer = try await client.send(.GET, "/admin/apps/\(app)/versions")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let published = try await client.send(.GET, "/admin/apps/\(app)")[path: ["published_version"]]
            try Self.table(answer[path: ["data"]]?.arrayValue ?? [], published: published)
        }

        static func table(_ versions: [Value], published: Value?) throws {
            let rows = versions.map { version in
                let live = version[path: ["number"]] == published ? "*" : ""
                return [live + (version[path: ["number"]]?.text ?? ""), String(version[path: ["sha256"]]?.text.prefix(12) ?? ""),
                        version[path: ["author"]]?.text ?? "", Date(timeIntervalSince1970: version[path: ["created_at"]]?.numberValue ?? 0).formatted(),
                        version[path: ["message"]]?.text ?? ""]
            }
            print(TextTable.render(["VERSION", "SHA-256", "AUTHOR", "CREATED", "MESSAGE"], rows))
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a version (the draft when --version is absent).")
        @Argument var app: String
        @Option(help: "The version to publish.") var version: Int?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let body: Value = version.map { ["version": .int($0)] } ?? [:]
            let answer = try await server.client().send(.POST, "/admin/apps/\(app)/publish", body: JSONWriter.bytes(body))
            print(server.json ? JSONWriter.string(answer) : "\(app): version \(answer[path: ["published_version"]]?.text ?? "?") is published")
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish the previously published version again.")
        @Argument var app: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.POST, "/admin/apps/\(app)/rollback")
            print(server.json ? JSONWriter.string(answer) : "\(app): rolled back to version \(answer[path: ["published_version"]]?.text ?? "?")")
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show what changed between two versions.")
        @Argument var app: String
        @Argument var from: Int
        @Argument var to: Int
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/admin/apps/\(app)/diff?from=\(from)&to=\(to)")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            for (label, key) in [("added nodes", "added_nodes"), ("removed nodes", "removed_nodes"), ("changed nodes", "changed_nodes"), ("changed settings", "changed_settings")] {
                let names = answer[path: [key]]?.arrayValue?.map(\.text) ?? []
                if !names.isEmpty { print("\(label): \(names.joined(separator: ", "))") }
            }
            let text = answer[path: ["diff"]]?.text ?? ""
            print(text.isEmpty ? "no differences" : text)
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an app with its versions, keys and runs.")
        @Argument var app: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            _ = try await server.client().send(.DELETE, "/admin/apps/\(app)")
            print("\(app): deleted")
        }
    }
}
