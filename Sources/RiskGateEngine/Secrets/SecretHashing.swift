import RiskGatePolicy

/// How RiskGate turns secrets (OTP codes, KBA answers, partial secrets) into what it keeps, under
/// the keys of a ``SecretsKeyring``:
///
/// - OTP codes: HMAC-SHA256(salt, challenge id, code) under the key. A code has only 10⁶ values, so
///   an unkeyed hash falls to a table in a second; without the key a copy of the database cannot
///   test a single guess.
/// - KBA answers: Argon2id at OWASP's cost over HMAC-SHA256(normalised answer) under the key (a
///   pepper): each guess costs ~20 ms of a core and 19 MiB *and* needs the key.
/// - Partial secrets: asking for characters 2 and 5 of a PIN needs the characters, and one
///   character has too little entropy for any hash to protect it. The whole secret is encrypted
///   (AES-256-GCM, bound to its user) and decrypted in memory only to compare the asked positions.
/// - OTP codes waiting in the outbox: encrypted until the deliverer reads them.
package enum SecretHashing {
    package static let saltLength = 16
    /// Longest secret in UTF-8 bytes; every secret is padded to this before encryption, so the
    /// stored box does not tell its length.
    package static let maxSecretBytes = 256
    /// Bytes one character of a partial secret takes when compared (a character may be several
    /// code points; longer ones are cut, which only makes two very long characters compare equal
    /// when their first 16 bytes do).
    package static let cellBytes = 16

    package static func otpTag(code: String, salt: [UInt8], challenge: String, key: SecretsKeyring.Key) -> [UInt8] {
        HMACSHA256.authenticate(key: key.otp, parts: [salt, Array(challenge.utf8), Array(code.utf8)])
    }

    /// Whether `code` is the one tagged; `false` when the tag's key is gone from the keyring.
    package static func otpMatches(code: String, salt: [UInt8], challenge: String, keyID: String?, tag: [UInt8],
                           keyring: SecretsKeyring) -> Bool {
        guard let key = keyring.key(keyID ?? "") else { return false }
        return constantTimeEquals(otpTag(code: code, salt: salt, challenge: challenge, key: key), tag)
    }

    /// The pepper: the answer's normal form, keyed, so the Argon2 hash cannot be attacked without the key.
    private static func peppered(_ answer: String, key: SecretsKeyring.Key) -> [UInt8] {
        HMACSHA256.authenticate(key: key.kba, message: Array(normalizeAnswer(answer).utf8))
    }

    package static func kbaHash(answer: String, keyring: SecretsKeyring, random: any RandomSource,
                        parameters: Argon2id.Parameters = .owasp) -> (keyID: String, hash: String) {
        let key = keyring.current
        return (key.id, Argon2id.hash(password: peppered(answer, key: key), salt: random.bytes(Argon2id.saltLength),
                                      parameters: parameters))
    }

    package static func kbaMatches(answer: String, stored: KBAAnswer, keyring: SecretsKeyring) -> Bool {
        guard let key = keyring.key(stored.keyID) else { return false }
        return Argon2id.verify(password: peppered(answer, key: key), encoded: stored.hash)
    }

    /// Whether a stored answer should be hashed again at the current cost or key.
    package static func kbaNeedsRehash(_ stored: KBAAnswer, keyring: SecretsKeyring) -> Bool {
        guard stored.keyID == keyring.current.id, let p = Argon2id.parameters(of: stored.hash) else { return true }
        return Argon2id.isWeaker(p, than: .owasp)
    }

    private static func secretContext(user: String) -> [UInt8] { Array("riskgate partial-secret v1\u{0}\(user)".utf8) }

    package static func sealSecret(_ secret: String, user: String, keyring: SecretsKeyring, random: any RandomSource) -> SealedSecret {
        let bytes = Array(secret.utf8)
        precondition(bytes.count <= maxSecretBytes)
        // Length first, then the secret, then zeros to a fixed size.
        var plaintext = [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        plaintext += [UInt8](repeating: 0, count: maxSecretBytes + 2 - plaintext.count)
        let key = keyring.current
        return SealedSecret(keyID: key.id, box: AESGCM.seal(plaintext, key: key.secret, associatedData: secretContext(user: user),
                                                            nonce: random.bytes(AESGCM.nonceLength)))
    }

    /// The secret's characters, or `nil` when the box does not open (another user's, altered, key gone).
    package static func openSecret(_ sealed: SealedSecret, user: String, keyring: SecretsKeyring) -> [Character]? {
        guard let key = keyring.key(sealed.keyID),
              let plaintext = AESGCM.open(sealed.box, key: key.secret, associatedData: secretContext(user: user)),
              plaintext.count >= 2 else { return nil }
        let n = Int(plaintext[0]) << 8 | Int(plaintext[1])
        guard n <= plaintext.count - 2 else { return nil }
        return Array(String(decoding: plaintext[2..<(2 + n)], as: UTF8.self))
    }

    private static func outboxContext(challenge: String) -> [UInt8] { Array("riskgate outbox-code v1\u{0}\(challenge)".utf8) }

    /// An OTP code as the outbox keeps it until delivery: `v1.KEYID.HEX` (AES-256-GCM, bound to the challenge).
    package static func sealOutboxCode(_ code: String, challenge: String, keyring: SecretsKeyring, random: any RandomSource) -> String {
        let key = keyring.current
        let box = AESGCM.seal(Array(code.utf8), key: key.outbox, associatedData: outboxContext(challenge: challenge),
                              nonce: random.bytes(AESGCM.nonceLength))
        return "v1.\(key.id).\(box.hexString)"
    }

    package static func openOutboxCode(_ sealed: String, challenge: String, keyring: SecretsKeyring) -> String? {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let key = keyring.key(String(parts[1])),
              let box = [UInt8](hexString: parts[2]),
              let code = AESGCM.open(box, key: key.outbox, associatedData: outboxContext(challenge: challenge)) else { return nil }
        return String(decoding: code, as: UTF8.self)
    }

    /// The normal form of a KBA answer: case-folded, punctuation removed, whitespace trimmed and collapsed.
    ///
    /// `"  The  Beatles! "` and `"the beatles"` are the same answer.
    package static func normalizeAnswer(_ answer: String) -> String {
        var words: [String] = []
        var current = ""
        for scalar in answer.lowercased().unicodeScalars {
            if scalar.properties.isWhitespace {
                if !current.isEmpty { words.append(current); current = "" }
            } else if scalar.properties.generalCategory.isPunctuationOrSymbol {
                continue
            } else {
                current.unicodeScalars.append(scalar)
            }
        }
        if !current.isEmpty { words.append(current) }
        return words.joined(separator: " ")
    }
}

extension Unicode.GeneralCategory {
    fileprivate var isPunctuationOrSymbol: Bool {
        switch self {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation,
             .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            true
        default:
            false
        }
    }
}
