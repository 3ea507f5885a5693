/// A built-in tool Dify and Loom both have: import reads Dify's as Loom's, export writes Loom's as Dify's.
struct DifyBuiltInTool {
    let loom: String
    let provider: String
    let name: String
    let label: String

    /// What export writes, and import reads.
    static let shared = [
        DifyBuiltInTool(loom: "current_time", provider: "time", name: "current_time", label: "Current Time"),
        DifyBuiltInTool(loom: "web_page", provider: "webscraper", name: "webscraper", label: "Web Scraper"),
    ]
    /// Read on import only: Jina Reader gives a page's Markdown, Loom's web_page its text.
    static let alsoRead = [DifyBuiltInTool(loom: "web_page", provider: "jina", name: "jina_reader", label: "JinaReader")]

    /// Dify's form of a Loom tool.
    static func dify(for loomTool: String) -> DifyBuiltInTool? {
        shared.first { $0.loom == loomTool }
    }

    /// Loom's tool for a Dify tool, by its provider (also in the plugin form `langgenius/time/time`) and name.
    static func loom(provider: String, name: String) -> String? {
        let short = provider.split(separator: "/").last.map(String.init) ?? provider
        return (shared + alsoRead).first { $0.provider == short && $0.name == name }?.loom
    }

    static func noEquivalent(provider: String, name: String) -> String {
        "tool \(provider)/\(name) has no Loom equivalent (Loom's built-in tools: \(ToolRegistry.builtIn.names.joined(separator: ", ")), web_page)"
    }
}
