import ArgumentParser
import Foundation
import RiskGate
import RiskGateEngine
import RiskGatePolicy

/// SHA-256 throughput, and the per-decision cost of building and hashing an audit record.
///
/// The audit-sized message (600 bytes) is about what `AuditRecord.canonicalBytes` holds for a decision
/// with a dozen signals; each decision hashes one.
struct HashBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hash", abstract: "SHA-256 throughput and audit record, timestamp and challenge encoding costs.")

    func run() throws {
        let big = [UInt8]((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        var digest: [UInt8] = []
        let bigTimes = measure(rounds: 7, iterations: 8) { digest = SHA256.hash(big) }
        blackHole(digest)
        print("sha256 1 MiB: median \(format(Double(big.count) / median(bigTimes) * 1e3)) MB/s")

        let audit = Array(big.prefix(600))
        let auditTimes = measure(iterations: 20_000) { digest = SHA256.hash(audit) }
        blackHole(digest)
        print("sha256 600 B message: median \(format(median(auditTimes))) ns")

        let text = String(decoding: audit.map { 0x20 + $0 % 90 }, as: UTF8.self)
        let textTimes = measure(iterations: 20_000) { digest = SHA256.hash(Array(text.utf8)) }
        blackHole(digest)
        print("sha256 600 B string (via Array(utf8)): median \(format(median(textTimes))) ns")

        // One KBA verification as the service does it: HMAC pepper, then Argon2id at OWASP's cost.
        let keyring = SecretsKeyring.ephemeral()
        let (keyID, phc) = SecretHashing.kbaHash(answer: "the beatles", keyring: keyring, random: SystemRandomSource())
        let stored = KBAAnswer(question: "favourite band", keyID: keyID, hash: phc)
        var matched = false
        let kbaTimes = measure(rounds: 5, iterations: 5) {
            matched = SecretHashing.kbaMatches(answer: "The Beatles!", stored: stored, keyring: keyring)
        }
        blackHole(matched)
        let p = Argon2id.Parameters.owasp
        print("KBA verification, Argon2id m=\(p.memoryKiB) KiB t=\(p.iterations) p=\(p.parallelism) + HMAC pepper: median \(format(median(kbaTimes) / 1e6)) ms")

        var hex = ""
        let hexTimes = measure(iterations: 100_000) { hex = digest.hexString }
        blackHole(hex)
        print("hexString of a digest: median \(format(median(hexTimes))) ns")

        let event = Self.typicalEvent()
        var record = AuditRecord(id: 1, event: event, prevHash: AuditRecord.genesisHash, key: keyring.current)
        let recordTimes = measure(iterations: 5_000) {
            record = AuditRecord(id: 2, event: event, prevHash: AuditRecord.genesisHash, key: keyring.current)
        }
        blackHole(record)
        print("audit record (\(event.rules.count) rules, \(event.signals.count) signals, \(record.canonicalBytes.count) canonical bytes): median \(format(median(recordTimes) / 1e3)) µs")

        var signalsJSON = ""
        let signalsTimes = measure(iterations: 20_000) {
            var w = JSONWriter(escapesSlashes: false, capacity: 512)
            try? w.object(event.signals)
            signalsJSON = w.text
        }
        blackHole(signalsJSON)
        print("audit signals JSON (\(event.signals.count) signals, \(signalsJSON.utf8.count) bytes): median \(format(median(signalsTimes))) ns")
        let numbers = (0..<64).map { Double($0) * 131.5 + 0.25 }
        let numberTimes = measure(iterations: 2_000) {
            var w = JSONWriter(escapesSlashes: false, capacity: 1024)
            for n in numbers { try? w.number(n) }
            signalsJSON = w.text
        }
        blackHole(signalsJSON)
        print("JSONWriter.number (fractional): median \(format(median(numberTimes) / 64)) ns")

        var stamp = ""
        let stampTimes = measure(iterations: 100_000) { stamp = Timestamp.format(event.time) }
        blackHole(stamp)
        print("Timestamp.format: median \(format(median(stampTimes))) ns")

        let challenge = try Self.typicalChallenge()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        let encodeTimes = measure(iterations: 2_000) { data = (try? encoder.encode(challenge)) ?? Data() }
        blackHole(data)
        print("challenge JSONEncoder (\(data.count) bytes): median \(format(median(encodeTimes) / 1e3)) µs")
        var json = ""
        let writerTimes = measure(iterations: 2_000) { json = (try? challenge.encodedJSON()) ?? "" }
        blackHole(json)
        print("challenge encodedJSON (\(json.utf8.count) bytes): median \(format(median(writerTimes) / 1e3)) µs")
        let decoder = JSONDecoder()
        var decoded: Challenge?
        let decodeTimes = measure(iterations: 2_000) { decoded = try? decoder.decode(Challenge.self, from: data) }
        blackHole(decoded)
        print("challenge JSONDecoder: median \(format(median(decodeTimes) / 1e3)) µs")
        var read: Challenge?
        let readTimes = measure(iterations: 2_000) { read = try? Challenge(json: json) }
        blackHole(read)
        print("challenge read by the stores (JSONScanner): median \(format(median(readTimes) / 1e3)) µs")
    }

    private func format(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A decision with the shape the service logs: a short rule path and a dozen redacted signals.
    static func typicalEvent() -> AuditEvent {
        let signals: [String: JSONValue] = [
            "channel": .string("web"), "request.action": .string("login"), "ip.country": .string("DE"),
            "ip.is_tor": .bool(false), "ip.is_datacenter": .bool(false), "ip.reputation": .number(0.12),
            "geo.velocity_kmh": .number(412.5), "geo.distance_km": .number(803.25), "device.known": .bool(true),
            "device.emulator": .bool(false), "login.failures_1h": .number(2), "typing.distance": .number(0.8731),
            "score": .number(37.5), "score.band": .string("medium"), "user.age_days": .null,
        ]
        return AuditEvent(time: Date(timeIntervalSince1970: 1_795_000_000.125), kind: .decision, user: "user-0042",
                          policyHash: "sha256:" + String(repeating: "ab", count: 32), outcome: "otp",
                          rules: ["block_tor", "impossible_travel", "score_otp", "default/allow"], signals: signals,
                          method: "decide", result: "ok", reference: "dec-0123456789abcdef")
    }

    /// An OTP + KBA + delay challenge with its pending login, decoded from the stored JSON shape.
    static func typicalChallenge() throws -> Challenge {
        let keys = (0..<12).map { i in "{\"down\":\(Double(i) * 131.5),\"up\":\(Double(i) * 131.5 + 87.25)}" }
        let json = """
            {"id":"ch-0123456789abcdef","user":"user-0042","decision_id":"dec-0123456789abcdef","created":817000000.125,
             "outcome":"otp_kba_delay","current_step":0,"state":"open","on_failure":"agent_escalation","revision":0,
             "request_channel":"web","lockout":{"window":900,"threshold":5,"duration":1800,"bans_after":3},
             "steps":[
              {"kind":"otp","attempts":0,"max_attempts":3,"passed":false,"answered":0,"channel":"sms","expires":817000300.125,
               "salt":[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16],
               "code_hash":[200,17,34,51,68,85,102,119,136,153,170,187,204,221,238,255,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},
              {"kind":"kba","attempts":0,"max_attempts":3,"passed":false,"answered":0,"questions":[2,0]},
              {"kind":"delay","attempts":0,"max_attempts":3,"passed":false,"answered":0,"delay":300}],
             "context":{"channel":"web","score":72.5,"rules":["impossible_travel","score_otp_kba"],
              "contributions":["geo.velocity_kmh > 900: +40","device.known == false: +20"],"policy_hash":"sha256:abab",
              "signals":{"geo.velocity_kmh":1204.5,"device.known":false,"ip.country":"FR","score.band":"high","login.failures_1h":1}},
             "pending_login":{"id":"evt-1","time":"2026-11-20T10:00:00.125Z","user":"user-0042","channel":"web","action":"login",
              "ip":"203.0.113.7","geo":{"country":"FR","lat":48.8566,"lon":2.3522,"accuracy_km":25},
              "device":{"id":"dev-9f8e7d","user_agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","emulator":false},
              "typing":{"field":"password","keys":[\(keys.joined(separator: ","))]},"result":"success"}}
            """
        return try Challenge(json: json)
    }
}
