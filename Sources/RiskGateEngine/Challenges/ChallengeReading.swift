import Foundation
import RiskGatePolicy

extension Challenge {
    /// Reads a challenge as ``encodedJSON()`` writes it (the stores' `challenges` rows), with the
    /// core's JSON reader: the pending login through the event parser the service and replay use,
    /// every other member through ``JSONObjectReader``.
    ///
    /// - Throws: ``JSONBodyError`` naming the member that is missing or wrong.
    package init(json text: String) throws(JSONBodyError) {
        var text = text
        let read = text.withUTF8 { utf8 in
            Result { () throws(JSONBodyError) in try Challenge(json: UnsafeRawBufferPointer(utf8)) }
        }
        self = try read.get()
    }

    package init(json bytes: UnsafeRawBufferPointer) throws(JSONBodyError) {
        var s = JSONScanner(bytes, maxDepth: 32)
        var members: [String: JSONValue] = [:]
        var pendingLogin: RequestContext?
        do throws(JSONScanner.Failure) {
            try s.beginObject()
            var first = true
            while let key = try s.nextMember(first: &first) {
                guard s.key(key, is: "pending_login") else {
                    members[s.string(of: key)] = try s.readValue(depth: 1)
                    continue
                }
                if s.consumeNull() { continue }
                s.skipWhitespace()
                let start = s.position
                try s.skipValue(depth: 1)
                pendingLogin = try EventLineParser.parse(UnsafeRawBufferPointer(rebasing: bytes[start..<s.position])).context
            }
            guard s.atEnd() else { throw s.failure("unexpected text after the challenge") }
        } catch {
            throw JSONBodyError(error, in: bytes, maxDepth: 32)
        }
        let c = JSONObjectReader(members: members)
        var steps: [ChallengeStep] = []
        for step in try c.objects("steps") { steps.append(try ChallengeStep(step)) }
        let lockout = try c.object("lockout")
        let context = try c.object("context")
        self.init(
            id: try c.string("id"), user: try c.string("user"), decisionID: try c.string("decision_id"),
            created: Date(timeIntervalSinceReferenceDate: try c.number("created")),
            outcome: try c.rawValue("outcome", as: Outcome.self),
            steps: steps,
            currentStep: try c.int("current_step"), state: try c.rawValue("state", as: State.self),
            onFailure: try c.optionalRawValue("on_failure", as: Outcome.self),
            lockout: Lockout.Settings(window: try lockout.number("window"), threshold: try lockout.int("threshold"),
                                      duration: try lockout.number("duration"), bansAfter: try lockout.int("bans_after")),
            requestChannel: try c.optionalString("request_channel"),
            context: HandOffContext(channel: try context.optionalString("channel"), score: try context.number("score"),
                                    rules: try context.strings("rules"), contributions: try context.strings("contributions"),
                                    signals: try context.object("signals").members, policyHash: try context.string("policy_hash")),
            revision: try c.int("revision"), pendingLogin: pendingLogin, familiar: try c.optionalBool("familiar"))
    }
}

extension ChallengeStep {
    /// One step as ``Challenge/encodedJSON()`` writes it.
    init(_ c: JSONObjectReader) throws(JSONBodyError) {
        self.init(kind: try c.rawValue("kind", as: Kind.self), maxAttempts: try c.int("max_attempts"))
        attempts = try c.int("attempts")
        passed = try c.bool("passed")
        answered = try c.int("answered")
        salt = try c.optionalBytes("salt")
        codeHash = try c.optionalBytes("code_hash")
        keyID = try c.optionalString("key_id")
        channel = try c.optionalString("channel")
        expires = try c.optionalNumber("expires").map(Date.init(timeIntervalSinceReferenceDate:))
        questions = try c.optionalInts("questions")
        positions = try c.optionalInts("positions")
        delay = try c.optionalNumber("delay")
        delayUntil = try c.optionalNumber("delay_until").map(Date.init(timeIntervalSinceReferenceDate:))
        device = try c.optionalString("device")
        nonce = try c.optionalString("nonce")
        number = try c.optionalInt("number")
    }
}
