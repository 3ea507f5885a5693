import Foundation
@testable import LoomStore
import LoomWorkflow
import Testing

@Suite struct NodeRunRecordTests {
    private func fields(_ node: NodeRunRecord) -> [String] {
        [
            node.id, node.nodeId, node.nodeType, node.title, "\(node.step)", node.status, "\(node.inputs)", "\(node.outputs)", "\(node.error ?? "-")",
            "\(node.retries)", "\(node.elapsedMilliseconds)", "\(node.totalTokens)", node.iterationId ?? "-", "\(node.iterationIndex ?? -1)",
            "\(node.finishedAt.timeIntervalSince1970)",
        ]
    }

    @Test func aNodeRunReadsBackFromItsRowWithOrWithoutItsDefaults() throws {
        let plain = NodeRunRecord(
            id: "n1", nodeId: "start", nodeType: "start", title: "Start", step: 1, status: "succeeded", inputs: [:], outputs: [:], error: nil,
            retries: 0, elapsedMilliseconds: 0.25, totalTokens: 0, iterationId: nil, iterationIndex: nil, finishedAt: Date(timeIntervalSince1970: 1_796_438_327.5))
        let full = NodeRunRecord(
            id: "n2", nodeId: "ask", nodeType: "llm", title: "Ask", step: 2, status: "failed", inputs: ["q": "hi"], outputs: ["text": "yo"],
            error: "timed out", retries: 2, elapsedMilliseconds: 12.5, totalTokens: 40, iterationId: "loop-1", iterationIndex: 3,
            finishedAt: Date(timeIntervalSince1970: 1_796_438_328.25))
        for node in [plain, full] {
            let text = JSONWriter.string(node.row)
            let read = try #require(NodeRunRecord(row: try JSONDocumentReader.parse(text).value))
            #expect(fields(read) == fields(node))
        }
        // Only what differs from the defaults is written.
        #expect(plain.row.objectValue.map { Set($0.keys) } == ["id", "node_id", "node_type", "title", "step", "status", "elapsed_ms", "finished_at"])
        #expect(full.row.objectValue?.count == 15)
    }
}
