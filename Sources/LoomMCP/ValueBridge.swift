import Foundation
import LoomWorkflow
import MCP

/// Loom's JSON value and the SDK's, converted through their shared JSON text.
enum ValueBridge {
    static func mcp(_ value: LoomWorkflow.Value) throws -> MCP.Value {
        try JSONDecoder().decode(MCP.Value.self, from: Data(JSONWriter.bytes(value)))
    }

    static func loom(_ value: MCP.Value) throws -> LoomWorkflow.Value {
        try JSONDocumentReader.parse(String(decoding: try JSONEncoder().encode(value), as: UTF8.self)).value
    }
}
