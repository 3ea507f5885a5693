/// Names of fine-tuned models: `BASE:ft-SUFFIX`, the base model's name and the job's suffix (or id).
public enum FineTunedModelName {
    public static func make(base: String, suffix: String) -> String { "\(base):ft-\(suffix)" }

    /// The base model of a fine-tuned model's name; nil for other names.
    public static func base(of name: String) -> String? {
        guard let range = name.range(of: ":ft-"), range.lowerBound != name.startIndex, range.upperBound != name.endIndex else { return nil }
        return String(name[..<range.lowerBound])
    }
}
