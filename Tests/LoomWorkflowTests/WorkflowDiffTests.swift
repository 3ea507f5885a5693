import Testing

@testable import LoomWorkflow

@Suite struct WorkflowDiffTests {
    @Test func reportsNodesAndLines() throws {
        let old = "app: x\nnodes:\n  - {id: a, type: template, template: one}\n  - {id: b, type: template, template: two}\n"
        let new = "app: x\nname: X\nnodes:\n  - {id: a, type: template, template: uno}\n  - {id: c, type: template, template: three}\n"
        let diff = WorkflowDiff(old: try load(old).document, new: try load(new).document, oldSource: old, newSource: new)
        #expect(diff.addedNodes == ["c"] && diff.removedNodes == ["b"] && diff.changedNodes == ["a"])
        #expect(diff.changedSettings == ["name"])
        #expect(diff.lines.filter { $0.kind == .added }.map(\.text) == ["name: X", "  - {id: a, type: template, template: uno}", "  - {id: c, type: template, template: three}"])
        #expect(diff.unified(context: 0).hasPrefix("+name: X"))
    }

    @Test func identicalDocumentsHaveNoChanges() throws {
        let text = "app: x\nnodes:\n  - {id: a, type: template, template: one}\n"
        let diff = WorkflowDiff(old: try load(text).document, new: try load(text).document, oldSource: text, newSource: text)
        #expect(diff.isEmpty)
        #expect(diff.lines.allSatisfy { $0.kind == .same })
    }
}
