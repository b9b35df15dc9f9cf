import Foundation
import RiskGatePolicy

/// Hand-written JSON for a decision, byte-identical to `JSONEncoder` with `.sortedKeys` and
/// `.withoutEscapingSlashes` (the service's response encoding; a test compares both), at a fraction
/// of the cost: the service writes one per request.
extension Decision {
    /// The decision as the HTTP service answers it.
    ///
    /// - Throws: ``JSONWriter/Failure`` for a non-finite number, as `JSONEncoder` would.
    package func responseJSON() throws(JSONWriter.Failure) -> [UInt8] {
        var w = JSONWriter(escapesSlashes: false, capacity: explanation == nil ? 512 : 4096)
        try write(to: &w)
        return w.bytes
    }

    // Keys in UTF-8 order; optional members omitted when absent (the synthesized `encodeIfPresent`).
    func write(to w: inout JSONWriter) throws(JSONWriter.Failure) {
        try w.beginObject()
        w.key("band"); w.string(band)
        if let challenge { w.key("challenge"); try challenge.write(to: &w) }
        w.key("contributions")
        try w.objects(contributions) { (w: inout JSONWriter, contribution: Contribution) throws(JSONWriter.Failure) in
            w.key("id"); w.string(contribution.id)
            w.key("points"); try w.number(contribution.points)
            w.key("reason"); w.string(contribution.reason)
        }
        if let escalated {
            w.key("escalated")
            try w.beginObject()
            w.key("from"); w.string(escalated.from.rawValue)
            w.key("reason"); w.string(escalated.reason)
            w.endObject()
        }
        if let explanation { w.key("explanation"); try explanation.write(to: &w) }
        w.key("id"); w.string(id)
        w.key("outcome"); w.string(outcome.rawValue)
        w.key("path"); try w.strings(path)
        w.key("policy")
        try w.beginObject()
        w.key("hash"); w.string(policy.hash)
        w.key("name"); w.string(policy.name)
        w.endObject()
        w.key("rule"); w.string(rule)
        w.key("score"); try w.number(score)
        w.endObject()
    }
}

extension Decision.ChallengeSummary {
    func write(to w: inout JSONWriter) throws(JSONWriter.Failure) {
        try w.beginObject()
        if let agentVisibleCode { w.key("agent_visible_code"); w.string(agentVisibleCode) }
        w.key("delay_s"); try w.number(delayS)
        w.key("id"); w.string(id)
        if let otp {
            w.key("otp")
            try w.beginObject()
            w.key("channel"); w.string(otp.channel)
            w.key("ttl_s"); try w.number(otp.ttlS)
            w.endObject()
        }
        if let positions { w.key("positions"); try w.ints(positions) }
        if let push {
            w.key("push")
            try w.beginObject()
            w.key("device"); w.string(push.device)
            if let number = push.number { w.key("number"); w.int(number) }
            w.key("ttl_s"); try w.number(push.ttlS)
            w.endObject()
        }
        if let questions { w.key("questions"); try w.strings(questions) }
        w.key("steps"); try w.strings(steps)
        w.endObject()
    }
}

extension Decision.Explanation {
    func write(to w: inout JSONWriter) throws(JSONWriter.Failure) {
        try w.beginObject()
        w.key("conditions")
        try w.objects(conditions) { (w: inout JSONWriter, condition: Condition) throws(JSONWriter.Failure) in
            w.key("condition"); w.string(condition.condition)
            w.key("rule"); w.string(condition.rule)
            w.key("value"); w.bool(condition.value)
        }
        if let model {
            w.key("model")
            try w.objects(model) { (w: inout JSONWriter, feature: ModelFeature) throws(JSONWriter.Failure) in
                w.key("feature"); w.string(feature.feature)
                w.key("log_ratio"); try w.number(feature.logRatio)
                w.key("value"); w.string(feature.value)
            }
        }
        w.key("signals"); try w.object(signals)
        w.endObject()
    }
}
