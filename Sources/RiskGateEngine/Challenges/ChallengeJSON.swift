import Foundation
import RiskGatePolicy

/// Hand-written JSON for challenges and hand-offs, byte-identical to the `JSONEncoder` configurations
/// they were written with before (the writer's tests compare both), at a fraction of the cost.
extension Challenge {
    /// The challenge as the SQLite store keeps it: what `JSONEncoder` with `.sortedKeys` (slashes escaped,
    /// dates as seconds since 2001) writes, so `JSONDecoder` reads it back to an equal value.
    ///
    /// - Throws: ``JSONWriter/Failure`` for a non-finite number, as `JSONEncoder` would.
    package func encodedJSON() throws(JSONWriter.Failure) -> String {
        var w = JSONWriter(escapesSlashes: true, capacity: 2048)
        try write(to: &w)
        return w.text
    }

    // Keys in UTF-8 order, optional members omitted when absent (as the synthesized `encodeIfPresent`).
    func write(to w: inout JSONWriter) throws(JSONWriter.Failure) {
        try w.beginObject()
        w.key("context"); try context.write(to: &w)
        w.key("created"); try w.number(created.timeIntervalSinceReferenceDate)
        w.key("current_step"); w.int(currentStep)
        w.key("decision_id"); w.string(decisionID)
        if let familiar { w.key("familiar"); w.bool(familiar) }
        w.key("id"); w.string(id)
        w.key("lockout"); try lockout.write(to: &w)
        if let onFailure { w.key("on_failure"); w.string(onFailure.rawValue) }
        w.key("outcome"); w.string(outcome.rawValue)
        if let pendingLogin { w.key("pending_login"); try pendingLogin.write(to: &w) }
        if let requestChannel { w.key("request_channel"); w.string(requestChannel) }
        w.key("revision"); w.int(revision)
        w.key("state"); w.string(state.rawValue)
        w.key("steps")
        try w.beginArray()
        for step in steps {
            w.element()
            try step.write(to: &w)
        }
        w.endArray()
        w.key("user"); w.string(user)
        w.endObject()
    }
}

extension ChallengeStep {
    func write(to w: inout JSONWriter) throws(JSONWriter.Failure) {
        try w.beginObject()
        w.key("answered"); w.int(answered)
        w.key("attempts"); w.int(attempts)
        if let channel { w.key("channel"); w.string(channel) }
        if let codeHash { w.key("code_hash"); try w.bytes(codeHash) }
        if let delay { w.key("delay"); try w.number(delay) }
        if let delayUntil { w.key("delay_until"); try w.number(delayUntil.timeIntervalSinceReferenceDate) }
        if let device { w.key("device"); w.string(device) }
        if let expires { w.key("expires"); try w.number(expires.timeIntervalSinceReferenceDate) }
        if let keyID { w.key("key_id"); w.string(keyID) }
        w.key("kind"); w.string(kind.rawValue)
        w.key("max_attempts"); w.int(maxAttempts)
        if let nonce { w.key("nonce"); w.string(nonce) }
        if let number { w.key("number"); w.int(number) }
        w.key("passed"); w.bool(passed)
        if let positions { w.key("positions"); try w.ints(positions) }
        if let questions { w.key("questions"); try w.ints(questions) }
        if let salt { w.key("salt"); try w.bytes(salt) }
        w.endObject()
    }
}

extension Lockout.Settings {
    func write(to w: inout JSONWriter) throws(JSONWriter.Failure) {
        try w.beginObject()
        w.key("bans_after"); w.int(bansAfter)
        w.key("duration"); try w.number(duration)
        w.key("threshold"); w.int(threshold)
        w.key("window"); try w.number(window)
        w.endObject()
    }
}

extension HandOffContext {
    func write(to w: inout JSONWriter) throws(JSONWriter.Failure) {
        try w.beginObject()
        if let channel { w.key("channel"); w.string(channel) }
        w.key("contributions"); try w.strings(contributions)
        w.key("policy_hash"); w.string(policyHash)
        w.key("rules"); try w.strings(rules)
        w.key("score"); try w.number(score)
        w.key("signals"); try w.object(signals)
        w.endObject()
    }
}

extension HandOff {
    /// The agent's hand-off message body: compact JSON, sorted keys, slashes unescaped, dates as
    /// ``Timestamp`` text; `null` when a number is not finite (as the `JSONEncoder` version did).
    package func compactJSON() -> String {
        var w = JSONWriter(escapesSlashes: false, capacity: 1024)
        do throws(JSONWriter.Failure) {
            try w.beginObject()
            if let challengeID { w.key("challenge_id"); w.string(challengeID) }
            w.key("context"); try context.write(to: &w)
            w.key("created"); w.string(Timestamp.format(created))
            w.key("decision_id"); w.string(decisionID)
            w.key("reason"); w.string(reason)
            w.key("steps_passed"); try w.strings(stepsPassed)
            w.key("user"); w.string(user)
            w.endObject()
        } catch {
            return "null"
        }
        return w.text
    }
}

extension RequestContext {
    /// As ``RequestContext/encode(to:)`` writes it with the store's (deferred) date strategy: `time` is text.
    func write(to w: inout JSONWriter) throws(JSONWriter.Failure) {
        try w.beginObject()
        if let action { w.key("action"); w.string(action) }
        if let channel { w.key("channel"); w.string(channel) }
        if let device {
            w.key("device")
            try w.beginObject()
            if let emulator = device.emulator { w.key("emulator"); w.bool(emulator) }
            if let id = device.id { w.key("id"); w.string(id) }
            if let rooted = device.rooted { w.key("rooted"); w.bool(rooted) }
            if let userAgent = device.userAgent { w.key("user_agent"); w.string(userAgent) }
            w.endObject()
        }
        if let geo {
            w.key("geo")
            try w.beginObject()
            if let accuracyKm = geo.accuracyKm { w.key("accuracy_km"); try w.number(accuracyKm) }
            if let asn = geo.asn { w.key("asn"); try w.number(asn) }
            if let country = geo.country { w.key("country"); w.string(country) }
            if let lat = geo.lat { w.key("lat"); try w.number(lat) }
            if let lon = geo.lon { w.key("lon"); try w.number(lon) }
            w.endObject()
        }
        if let id { w.key("id"); w.string(id) }
        if let ip { w.key("ip"); w.string(ip) }
        if let label {
            w.key("label")
            try w.beginObject()
            if let takeover = label.accountTakeover { w.key("account_takeover"); w.bool(takeover) }
            if let attack = label.attack { w.key("attack"); w.bool(attack) }
            w.endObject()
        }
        if let phone {
            w.key("phone")
            try w.beginObject()
            if let ani = phone.ani { w.key("ani"); w.string(ani) }
            w.endObject()
        }
        if let result { w.key("result"); w.string(result) }
        if let signals { w.key("signals"); try w.object(signals) }
        if let time { w.key("time"); w.string(Timestamp.format(time)) }
        if let typing {
            w.key("typing")
            try w.beginObject()
            w.key("field"); w.string(typing.field)
            w.key("keys")
            try w.beginArray()
            for key in typing.keys {
                w.element()
                try w.beginObject()
                w.key("down"); try w.number(key.down)
                w.key("up"); try w.number(key.up)
                w.endObject()
            }
            w.endArray()
            w.endObject()
        }
        w.key("user"); w.string(user)
        w.endObject()
    }
}
