/// Where a training sample stands in review: only approved samples are trained on.
public enum SampleStatus: String, Sendable, CaseIterable, Codable {
    case pending, approved, rejected
}
