import ArgumentParser
import Foundation
import LoomKnowledge
import LoomWorkflow

struct DatasetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets", abstract: "Create knowledge datasets, import documents, search them, and look at their versions.",
        subcommands: [Create.self, List.self, Import.self, Search.self, Versions.self, Diff.self, Rollback.self, Remove.self, Export.self, Delete.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a dataset.")
        @Argument(help: "Lower-case letters, digits, '-' and '_'.") var name: String
        @Option(help: "What the dataset holds.") var description = ""
        @Option(help: "Chunk size in the embedding model's tokens.") var chunkTokens = 500
        @Option(help: "Tokens each chunk repeats from the one before.") var overlap = 50
        @Option(help: "The embedding model (a name in models.yaml).") var model = "minilm-l6"
        @Option(help: "knowledge (documents to search) or samples (training records; see `loom samples`).") var kind = "knowledge"
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let body: Value = [
                "name": .string(name), "kind": .string(kind), "description": .string(description), "chunk_tokens": .int(chunkTokens),
                "chunk_overlap": .int(overlap), "embedding_model": .string(model),
            ]
            let answer = try await server.client().send(.POST, "/admin/datasets", body: JSONWriter.bytes(body))
            guard !server.json else { return print(JSONWriter.string(answer)) }
            guard kind != "samples" else { return print("created samples dataset \(name): import records with `loom samples import \(name) FILE.jsonl`") }
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
                ["name", "kind", "latest_version", "embedding_model", "chunk_tokens", "description"].map { dataset[path: [$0]]?.text ?? "" }
            }
            print(TextTable.render(["DATASET", "KIND", "VERSION", "MODEL", "CHUNK", "DESCRIPTION"], rows))
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import files (or every supported file under folders) into a dataset as one new version, through a job on the server.")
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
            // Upload every file first (stored in PostgreSQL), then one job imports them all as one version.
            var uploads: [Value] = []
            for file in files {
                guard let data = FileManager.default.contents(atPath: file.path) else { throw ValidationError("\(file.path): cannot read the file") }
                var query = URLComponents()
                query.queryItems = [URLQueryItem(name: "file", value: file.name)]
                let answer = try await client.send(
                    .POST, "/admin/datasets/\(name)/uploads?" + (query.percentEncodedQuery ?? ""), body: Array(data), contentType: "application/octet-stream")
                uploads.append(answer[path: ["upload_id"]] ?? .null)
            }
            let columns = textColumns.split(separator: ",").map { Value.string(String($0)) }
            let request: Value = ["uploads": .array(uploads), "text_columns": .array(columns), "message": .string("import of \(files.count) file(s)")]
            var job = try await client.send(.POST, "/admin/datasets/\(name)/imports", body: JSONWriter.bytes(request))
            guard let id = job[path: ["id"]]?.text else { throw ValidationError("the server did not start an import job") }
            let live = isatty(STDOUT_FILENO) == 1 && !server.json
            var shown = ""
            while job[path: ["status"]]?.text == "queued" || job[path: ["status"]]?.text == "running" {
                try await Task.sleep(for: .milliseconds(400))
                job = try await client.send(.GET, "/admin/jobs/\(id)")
                let line = job[path: ["progress", "documents"]] == nil ? "waiting for the server to start the import…" : Self.progressLine(job)
                if !server.json && line != shown {
                    // Unbuffered, so the line shows at once (and is redrawn in place on a terminal).
                    FileHandle.standardOutput.write(Data((live ? "\r" + line : line + "\n").utf8))
                    shown = line
                }
            }
            if live { FileHandle.standardOutput.write(Data("\n".utf8)) }
            if server.json { return print(JSONWriter.string(job)) }
            guard job[path: ["status"]]?.text == "done" else {
                StandardError.line("import failed: \(job[path: ["error"]]?.text ?? "unknown error") (job \(id))")
                throw ExitCode(1)
            }
            let result = { (key: String) in job[path: ["result", key]]?.numberValue ?? 0 }
            print(String(format: "%d files: %.0f documents (%.0f new or changed, %.0f unchanged), %.0f chunks in %.1fs (%.1f chunks/s); %@ is at version %.0f",
                         files.count, result("documents"), result("stored"), result("unchanged"), result("chunks"), result("seconds"),
                         result("chunks") / max(result("seconds"), 0.001), name, result("version")))
        }

        /// `documents 3/4 · chunks 45 · 31.2 embeddings/s · ETA 2s`, from a job's progress.
        static func progressLine(_ job: Value) -> String {
            let number = { (key: String) in job[path: ["progress", key]]?.numberValue ?? 0 }
            let (total, done, seconds) = (number("documents"), number("documents_done"), number("seconds"))
            let rate = number("embedded") / max(seconds, 0.001)
            let eta = done > 0 ? seconds / done * (total - done) : 0
            return String(format: "documents %.0f/%.0f · chunks %.0f · %.1f embeddings/s · ETA %.0fs", done, total, number("chunks"), rate, eta)
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
            let size = answer[path: ["kind"]] == "samples" ? "samples" : "documents"
            let rows = (answer[path: ["data"]]?.arrayValue ?? []).map { version in
                [version[path: ["number"]]?.text ?? "", version[path: [size]]?.text ?? "",
                 (version[path: ["created_at"]]?.numberValue).map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: $0)) } ?? "",
                 version[path: ["message"]]?.text ?? ""]
            }
            print(TextTable.render(["VERSION", size.uppercased(), "CREATED", "MESSAGE"], rows))
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
                for document in answer[path: [key]]?.arrayValue ?? [] { print("\(mark) \(document.text)") }
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new version holding what an earlier one held; workflows reading the dataset's latest version see it at once.")
        @Argument var name: String
        @Option(help: "The version to go back to (default: the one before the latest).") var version: Int?
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let body: Value = version.map { ["version": .int($0)] } ?? [:]
            let answer = try await server.client().send(.POST, "/admin/datasets/\(name)/rollback", body: JSONWriter.bytes(body))
            guard !server.json else { return print(JSONWriter.string(answer)) }
            print("dataset \(name) is at version \(answer[path: ["version"]]?.text ?? "?") (\(version.map { "version \($0)" } ?? "the previous version")'s documents)")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove documents from a dataset: a new version without them.")
        @Argument var name: String
        @Argument(help: "Document names, as `loom datasets search` and `export` show them.") var documents: [String]
        @OptionGroup var server: ServerOptions

        func run() async throws {
            let client = server.client()
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove("/")
            for document in documents {
                let path = document.addingPercentEncoding(withAllowedCharacters: allowed) ?? document
                let answer = try await client.send(.DELETE, "/admin/datasets/\(name)/documents/\(path)")
                if server.json { print(JSONWriter.string(answer)) } else { print("removed \(document): dataset \(name) is at version \(answer[path: ["version"]]?.text ?? "?")") }
            }
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a version's chunks as JSONL (content, document, metadata, embedding).")
        @Argument var name: String
        @Option(help: "The version (default: the latest).") var version: Int?
        @Flag(help: "Leave the embeddings out.") var noEmbeddings = false
        @OptionGroup var server: ServerOptions

        func run() async throws {
            var query = "embeddings=\(!noEmbeddings)"
            if let version { query += "&version=\(version)" }
            let text = try await server.client().sendText(.GET, "/admin/datasets/\(name)/export?\(query)")
            FileHandle.standardOutput.write(Data(text.utf8))
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
