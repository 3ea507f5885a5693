import AsyncHTTPClient
import Foundation
import LoomKnowledge
import LoomWorkflow
import NIOCore

extension OpenAICompatibleProvider: TextEmbedder {
    /// `POST {base_url}/embeddings` with the texts as one batch.
    public func embed(_ texts: [String], model: String) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        guard let endpoint = catalog.endpoint(named: model), let client = client(for: endpoint.name) else {
            throw ModelError.unknownModel(model, known: catalog.names)
        }
        let url = endpoint.baseURL + "/embeddings"
        var http = HTTPClientRequest(url: url)
        http.method = .POST
        http.headers.add(name: "Content-Type", value: "application/json")
        if let key = endpoint.apiKey { http.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let body: Value = ["model": .string(endpoint.model), "input": .array(texts.map(Value.string))]
        http.body = .bytes(ByteBuffer(bytes: JSONWriter.bytes(body)))
        let text: String
        do {
            let response = try await client.execute(http, deadline: .distantFuture)
            var buffer = try await response.body.collect(upTo: 256 << 20)
            text = buffer.readString(length: buffer.readableBytes) ?? ""
            guard response.status == .ok else {
                throw ModelError.httpStatus(model: model, status: Int(response.status.code), message: Self.errorMessage(text))
            }
        } catch let error as ModelError {
            throw error
        } catch {
            throw Self.classify(error, model: model, endpoint: url)
        }
        return try Self.embeddings(fromJSON: text, count: texts.count, model: model)
    }

    /// The vectors of an OpenAI embeddings response, put in input order by their `index`.
    static func embeddings(fromJSON text: String, count: Int, model: String) throws(ModelError) -> [[Float]] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let data = object["data"] as? [[String: Any]]
        else { throw .badResponse(model: model, reason: "no 'data' list in the embeddings response") }
        var vectors = [[Float]?](repeating: nil, count: count)
        for (position, item) in data.enumerated() {
            let index = item["index"] as? Int ?? position
            guard vectors.indices.contains(index), let numbers = item["embedding"] as? [NSNumber] else {
                throw .badResponse(model: model, reason: "embedding \(position) has no vector or an index outside the input")
            }
            vectors[index] = numbers.map(\.floatValue)
        }
        guard vectors.allSatisfy({ $0 != nil }) else { throw .badResponse(model: model, reason: "\(count) texts sent, \(data.count) vectors returned") }
        return vectors.map { $0! }
    }
}
