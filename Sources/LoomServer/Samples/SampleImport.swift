import LoomInference
import LoomStore
import LoomWorkflow

/// Reads training records from JSON lines: each line a record (`{"messages": …}` or `{"prompt", "completion"}`),
/// optionally with its review (`status`, `rating`, `label`) beside it, as `export?review=true` writes them. Every
/// line is checked before anything is stored, so a file with one bad record imports nothing.
struct SampleImport {
    static let reviewKeys: Set<String> = ["status", "rating", "label"]
    static let ratings = -1...5

    var status: SampleStatus
    var source: [String: Value]
    /// Counts tokens as the model that will be trained sees them; nil skips the context check.
    var model: LlamaModel?

    func read(_ text: String) throws -> [SampleInput] {
        var inputs: [SampleInput] = []
        var problems: [SampleProblem] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard !line.allSatisfy(\.isWhitespace) else { continue }
            do {
                inputs.append(try input(String(line)))
            } catch let error as TrainingRecordError {
                problems.append(SampleProblem(line: index + 1, message: error.description))
            } catch let error as DocumentSyntaxError {
                problems.append(SampleProblem(line: index + 1, message: "not JSON: \(error.message) at column \(error.location.column)"))
            }
        }
        guard problems.isEmpty else { throw StoreError.invalidSamples(problems) }
        guard !inputs.isEmpty else { throw APIError.invalidParam("the file holds no records (one JSON object per line)") }
        return inputs
    }

    private func input(_ line: String) throws -> SampleInput {
        guard var fields = try JSONDocumentReader.parse(line).value.objectValue else {
            throw TrainingRecordError.shape("a line must be a JSON object")
        }
        var status = self.status
        if let value = fields.removeValue(forKey: "status") {
            guard let text = value.stringValue, let parsed = SampleStatus(rawValue: text) else {
                throw TrainingRecordError.shape("'status' is pending, approved or rejected")
            }
            status = parsed
        }
        var rating: Int?
        if let value = fields.removeValue(forKey: "rating"), !value.isNull {
            guard case .int(let number) = value, Self.ratings.contains(number) else {
                throw TrainingRecordError.shape("'rating' is a whole number from \(Self.ratings.lowerBound) to \(Self.ratings.upperBound)")
            }
            rating = number
        }
        let label = fields.removeValue(forKey: "label")?.stringValue
        let record = try TrainingRecord(parsing: .object(fields))
        try TrainingTokenizer.checkLength(record, model: model)
        return SampleInput(record: record, status: status, rating: rating, label: label, source: source)
    }

    /// One exported line: the record, with its review when asked.
    static func line(_ sample: SampleRecord, review: Bool) -> String {
        guard review, case .object(var fields) = sample.record.value else { return JSONWriter.string(sample.record.value) }
        fields["status"] = .string(sample.status.rawValue)
        if let rating = sample.rating { fields["rating"] = .int(rating) }
        if let label = sample.label { fields["label"] = .string(label) }
        return JSONWriter.string(.object(fields))
    }
}
