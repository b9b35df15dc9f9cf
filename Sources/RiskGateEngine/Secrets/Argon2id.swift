import CArgon2

/// Argon2id (RFC 9106) from the reference library, libargon2, producing PHC strings
/// (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) that carry their own parameters, so the cost can be
/// raised later while hashes made at the old cost still verify.
package enum Argon2id {
    /// Memory in KiB, passes and lanes.
    package struct Parameters: Sendable, Hashable {
        package var memoryKiB: UInt32
        package var iterations: UInt32
        package var parallelism: UInt32

        /// OWASP's first recommendation for Argon2id (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane.
        package static let owasp = Parameters(memoryKiB: 19_456, iterations: 2, parallelism: 1)
    }

    package static let saltLength = 16
    package static let hashLength = 32

    /// The PHC string of `password` with `salt` at `parameters`.
    package static func hash(password: [UInt8], salt: [UInt8], parameters: Parameters = .owasp) -> String {
        let length = argon2_encodedlen(parameters.iterations, parameters.memoryKiB, parameters.parallelism,
                                       UInt32(salt.count), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length)
        let rc = argon2id_hash_encoded(parameters.iterations, parameters.memoryKiB, parameters.parallelism,
                                       password, password.count, salt, salt.count, hashLength, &encoded, length)
        // Fails only on out-of-range parameters (ours are fixed) or without memory.
        precondition(rc == ARGON2_OK.rawValue, "argon2id_hash_encoded failed: \(String(cString: argon2_error_message(rc)))")
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches the PHC string; `false` for a malformed string too.
    package static func verify(password: [UInt8], encoded: String) -> Bool {
        // The library compares in constant time; it rejects malformed strings with an error code.
        guard encoded.hasPrefix("$argon2id$"), encoded.utf8.count <= 512 else { return false }
        return argon2id_verify(encoded, password, password.count) == ARGON2_OK.rawValue
    }

    /// The parameters named in a PHC string, or `nil` when it is not one of ours.
    package static func parameters(of encoded: String) -> Parameters? {
        let parts = encoded.split(separator: "$")
        guard parts.count == 5, parts[0] == "argon2id" else { return nil }
        var values: [Substring: UInt32] = [:]
        for item in parts[2].split(separator: ",") {
            let pair = item.split(separator: "=")
            guard pair.count == 2, let v = UInt32(pair[1]) else { return nil }
            values[pair[0]] = v
        }
        guard let m = values["m"], let t = values["t"], let p = values["p"] else { return nil }
        return Parameters(memoryKiB: m, iterations: t, parallelism: p)
    }

    /// Whether a hash made at `stored` is weaker than `wanted` in any dimension, so the next
    /// successful verification should re-hash it.
    package static func isWeaker(_ stored: Parameters, than wanted: Parameters) -> Bool {
        stored.memoryKiB < wanted.memoryKiB || stored.iterations < wanted.iterations
    }
}
