import ArgumentParser
import LoomWorkflow

/// `--input NAME=VALUE…` and `--inputs-json JSON`, shared by `loom run` and `loom call`.
struct InputOptions: ParsableArguments {
    @Option(name: .customLong("input"), help: "An input as NAME=VALUE (repeatable); converted to the declared type.")
    var inputs: [String] = []

    @Option(name: .customLong("inputs-json"), help: "All inputs as one JSON object; --input values override it.")
    var inputsJSON: String?

    func values() throws -> [String: Value] {
        var given: [String: Value] = [:]
        if let inputsJSON {
            guard let object = (try? JSONDocumentReader.parse(inputsJSON))?.value.objectValue else {
                throw ValidationError("--inputs-json must be a JSON object such as {\"ticket\": \"…\"}")
            }
            given = object
        }
        for pair in inputs {
            guard let equals = pair.firstIndex(of: "=") else { throw ValidationError("--input takes NAME=VALUE, got '\(pair)'") }
            given[String(pair[..<equals])] = .string(String(pair[pair.index(after: equals)...]))
        }
        return given
    }
}
