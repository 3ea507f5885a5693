import ArgumentParser
import Foundation
import LoomKnowledge
import LoomWorkflow

struct DatasetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets", abstract: "Create knowledge datasets, import documents, search them, and look at their versions.",
        subcommands: [Create.self, List.self, Import.self, Search.self, Versions.self, Diff.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a dataset.")
        @Argument(help: "Lower-case letters, digits, '-' and '_'.") var name: String
        @Option(help: "What the dataset holds.") var description = ""
        @Option(help: "Chunk size in the embedding model's tokens.") var chunkTokens = 500
        @Option(help: "Tokens each chunk repeats from the one before.") var overlap = 50
        @Option(help: "The embedding model (a name in models.yaml).") var model = "minilm-l6"
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let body: Value = [
                "name": .string(name), "description": .string(description), "chunk_tokens": .int(chunkTokens), "chunk_overlap": .int(overlap),
                "embedding_model": .string(model),
            ]
            let answer = try await server.client().send(.POST, "/admin/datasets", body: JSONWriter.bytes(body))
            guard !server.json else { return print(JSONWriter.string(answer)) }
            print("created dataset \(name): \(model) (\(answer[path: ["dimensions"]]?.text ?? "?") dimensions), chunks of \(chunkTokens) tokens overlapping by \(overlap)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List datasets.")
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/admin/datasets")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { dataset in
                ["name", "latest_version", "embedding_model", "chunk_tokens", "description"].map { dataset[path: [$0]]?.text ?? "" }
            }
            print(TextTable.render(["DATASET", "VERSION", "MODEL", "CHUNK", "DESCRIPTION"], rows))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import files (or every supported file under folders) into a dataset as one new version.")
        @Argument var name: String
        @Argument(help: "Files or folders: .txt .md .html .pdf .jsonl .csv") var paths: [String]
        @Option(help: "JSONL fields or CSV columns that hold the text (comma-separated).") var textColumns = "text"
        @OptionGroup var server: ServerOptions

        /// Each file with the name its document gets: its path as given (a folder's files under the folder's path).
        static func files(_ paths: [String]) throws -> [(path: String, name: String)] {
            var files: [(String, String)] = []
            for path in paths {
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw ValidationError("\(path): no such file or folder") }
                guard isFolder.boolValue else {
                    files.append((path, path))
                    continue
                }
                let enumerator = FileManager.default.enumerator(atPath: path)
                while let relative = enumerator?.nextObject() as? String {
                    if DocumentReader.extensions.contains((relative as NSString).pathExtension.lowercased()) {
                        let file = (path as NSString).appendingPathComponent(relative)
                        files.append((file, file))
                    }
                }
            }
            return files.sorted { $0.1 < $1.1 }
        }

        func run() async throws {
            let files = try Self.files(paths)
            guard !files.isEmpty else { throw ValidationError("no .txt, .md, .html, .pdf, .jsonl or .csv files in \(paths.joined(separator: ", "))") }
            let client = server.client()
            let started = Date()
            var chunks = 0
            var stored = 0
            var failed: [String] = []
            var answers: [Value] = []
            var documentVersions: [Value] = []
            for (index, file) in files.enumerated() {
                guard let data = FileManager.default.contents(atPath: file.path) else {
                    failed.append("\(file.path): cannot read the file")
                    continue
                }
                var query = URLComponents()
                query.queryItems = [URLQueryItem(name: "file", value: file.name), URLQueryItem(name: "name", value: file.name),
                                    URLQueryItem(name: "text_columns", value: textColumns), URLQueryItem(name: "commit", value: "false")]
                do {
                    let answer = try await client.send(
                        .POST, "/admin/datasets/\(name)/documents?" + (query.percentEncodedQuery ?? ""), body: Array(data), contentType: "application/octet-stream")
                    answers.append(answer)
                    chunks += answer[path: ["chunks"]]?.numberValue.map(Int.init) ?? 0
                    stored += answer[path: ["stored"]]?.numberValue.map(Int.init) ?? 0
                    documentVersions += answer[path: ["document_versions"]]?.arrayValue ?? []
                    if !server.json {
                        let elapsed = Date().timeIntervalSince(started)
                        let remaining = elapsed / Double(index + 1) * Double(files.count - index - 1)
                        let state = answer[path: ["stored"]] == .int(0) ? "unchanged" : "stored"
                        print(String(format: "[%d/%d] %@: %@ chunks, %@  ·  %.1f chunks/s  ·  ETA %.0fs", index + 1, files.count, file.name,
                                     answer[path: ["chunks"]]?.text ?? "0", state, Double(chunks) / max(elapsed, 0.001), remaining))
                    }
                } catch {
                    failed.append("\(file.path): \(error)")
                    if !server.json { print("[\(index + 1)/\(files.count)] \(file.path): \(error)") }
                }
            }
            // What was stored becomes one version, even when some files failed: their problems are listed below.
            let message = "import of \(files.count - failed.count) file(s)"
            let committed = try await client.send(
                .POST, "/admin/datasets/\(name)/versions", body: JSONWriter.bytes(["documents": .array(documentVersions), "message": .string(message)]))
            if server.json {
                print(JSONWriter.string(["files": .array(answers), "version": committed[path: ["version"]] ?? .null]))
            } else {
                let elapsed = Date().timeIntervalSince(started)
                print(String(format: "%d files (%d new or changed, %d failed), %d chunks in %.1fs (%.1f chunks/s); %@ is at version %@", files.count, stored,
                             failed.count, chunks, elapsed, Double(chunks) / max(elapsed, 0.001), name, committed[path: ["version"]]?.text ?? "?"))
            }
            if !failed.isEmpty {
                for line in failed { StandardError.line(line) }
                throw ExitCode(1)
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Search a dataset.")
        @Argument var name: String
        @Argument var query: String
        @Option(help: "semantic, fulltext or hybrid.") var mode = "hybrid"
        @Option(help: "How many results.") var topK = 4
        @Option(help: "A version to search (default: the latest).") var version: Int?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            var body: [String: Value] = ["query": .string(query), "mode": .string(mode), "top_k": .int(topK)]
            if let version { body["version"] = .int(version) }
            let answer = try await server.client().send(.POST, "/admin/datasets/\(name)/search", body: JSONWriter.bytes(.object(body)))
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let records = answer[path: ["records"]]?.arrayValue ?? []
            if records.isEmpty { print("no results") }
            for (rank, record) in records.enumerated() {
                let score = record[path: ["score"]]?.numberValue ?? 0
                print(String(format: "%d. %.3f  %@ (v%@)", rank + 1, score, record[path: ["document"]]?.text ?? "", record[path: ["version"]]?.text ?? ""))
                print((record[path: ["content"]]?.text ?? "").split(separator: "\n").map { "   " + $0 }.joined(separator: "\n"))
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A dataset's versions.")
        @Argument var name: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/admin/datasets/\(name)/versions")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { version in
                [version[path: ["number"]]?.text ?? "", version[path: ["documents"]]?.text ?? "",
                 (version[path: ["created_at"]]?.numberValue).map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) } ?? "",
                 version[path: ["message"]]?.text ?? ""]
            }
            print(TextTable.render(["VERSION", "DOCUMENTS", "CREATED", "MESSAGE"], rows))
        }
    }

    struct Diff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Documents added, changed and removed between two versions.")
        @Argument var name: String
        @Argument var from: Int
        @Argument var to: Int
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let answer = try await server.client().send(.GET, "/admin/datasets/\(name)/diff?from=\(from)&to=\(to)")
            guard !server.json else { return print(JSONWriter.string(answer)) }
            for (key, mark) in [("added", "+"), ("changed", "~"), ("removed", "-")] {
                for document in answer[path: [key]]?.arrayValue ?? [] { print("\(mark) \(document.text ?? "")") }
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a dataset with all its versions.")
        @Argument var name: String
        @OptionGroup var server: ServerOptions

        func run() async throws {
            _ = try await server.client().send(.DELETE, "/admin/datasets/\(name)")
            print("deleted dataset \(name)")
        }
    }
}
