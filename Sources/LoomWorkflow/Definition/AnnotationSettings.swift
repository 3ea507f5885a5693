/// An app's use of a samples dataset outside its nodes: feedback on chat answers kept as samples, and annotation
/// reply (as Dify has it): a query close enough to an approved sample's question is answered with that sample's
/// answer, without running the graph.
///
/// ```yaml
/// annotations:
///   dataset: support
///   feedback: pending        # liked answers become samples with this status (pending | approved | off)
///   reply_threshold: 0.92    # cosine similarity for annotation reply; absent: no annotation reply
/// ```
public struct AnnotationSettings: Sendable, Equatable {
    public var dataset: String
    /// The status of a sample made from a liked answer; nil keeps no samples from feedback.
    public var feedbackStatus: SampleStatus?
    public var replyThreshold: Double?

    public init(dataset: String, feedbackStatus: SampleStatus? = .pending, replyThreshold: Double? = nil) {
        self.dataset = dataset
        self.feedbackStatus = feedbackStatus
        self.replyThreshold = replyThreshold
    }

    static let keys = ["dataset", "feedback", "reply_threshold"]

    static func read(_ node: SourceNode, log: DiagnosticLog, datasets: [String: KnownDataset]?) -> AnnotationSettings? {
        guard case .mapping(let entries) = node.kind else {
            log.add("'annotations' must be a mapping with 'dataset', 'feedback' and 'reply_threshold', not a \(node.kindName)", at: node.location)
            return nil
        }
        var fields: [String: SourceNode] = [:]
        for entry in entries {
            if !keys.contains(entry.key) { log.add("unknown key '\(entry.key)' in 'annotations'; expected one of: \(keys.joined(separator: ", "))", at: entry.keyLocation) }
            fields[entry.key] = entry.value
        }
        guard let datasetNode = fields["dataset"], case .scalar(.string(let dataset)) = datasetNode.kind else {
            log.add("'annotations' needs 'dataset': the samples dataset that keeps feedback and answers annotation replies", at: node.location)
            return nil
        }
        if let known = datasets {
            if let found = known[dataset] {
                if found.kind != .samples { log.add("dataset '\(dataset)' holds \(found.kind.rawValue); 'annotations' needs a samples dataset", at: datasetNode.location) }
            } else {
                log.add("unknown dataset '\(dataset)'; create it with `loom datasets create \(dataset) --kind samples`", at: datasetNode.location)
            }
        }
        var settings = AnnotationSettings(dataset: dataset)
        if let feedback = fields["feedback"] {
            switch feedback.kind {
            case .scalar(.string("off")), .scalar(.bool(false)): settings.feedbackStatus = nil
            case .scalar(.string(let text)) where text == "pending" || text == "approved": settings.feedbackStatus = SampleStatus(rawValue: text)
            default: log.add("'annotations.feedback' is pending, approved or off", at: feedback.location)
            }
        }
        if let threshold = fields["reply_threshold"] {
            switch threshold.kind {
            case .scalar(.double(let number)) where (0...1).contains(number): settings.replyThreshold = number
            case .scalar(.int(let number)) where number == 0 || number == 1: settings.replyThreshold = Double(number)
            default: log.add("'annotations.reply_threshold' is a cosine similarity between 0 and 1", at: threshold.location)
            }
        }
        return settings
    }
}
