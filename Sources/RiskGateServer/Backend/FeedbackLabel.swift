/// Ground truth an analyst or downstream system reports for a decision (`POST /v1/feedback`).
public enum FeedbackLabel: String, Sendable, Hashable, Codable, CaseIterable {
    case fraud
    case legit
}
