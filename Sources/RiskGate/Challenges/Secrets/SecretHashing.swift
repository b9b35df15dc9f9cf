/// How RiskGate turns secrets (OTP codes, KBA answers, PIN characters) into the salted hashes it keeps.
///
/// Only hashes are ever stored; the plaintext is dropped as soon as it has been hashed or compared.
enum SecretHashing {
    /// PBKDF2 iterations for KBA answers: answers are low-entropy, so each guess should cost something,
    /// yet a verification must stay fast on the pure-Swift SHA-256.
    static let kbaIterations = 4096
    /// PBKDF2 iterations per partial-secret character. A single character has so little entropy that no
    /// iteration count protects it from an attacker holding the database; the per-position salt and
    /// this cost only stop precomputed tables and cheap bulk guessing.
    static let secretCharacterIterations = 256
    static let saltLength = 16

    /// SHA-256(salt || code): OTPs are random and short-lived, so a fast hash is enough.
    static func otpHash(code: String, salt: [UInt8]) -> [UInt8] {
        SHA256.hash(salt + Array(code.utf8))
    }

    static func kbaHash(answer: String, salt: [UInt8]) -> [UInt8] {
        PBKDF2.deriveKey(password: Array(normalizeAnswer(answer).utf8), salt: salt, iterations: kbaIterations)
    }

    /// Hash of the character at 1-based `position`; the position is bound in so hashes cannot be swapped.
    static func secretCharacterHash(_ character: Character, position: Int, salt: [UInt8]) -> [UInt8] {
        let password = Array(String(position).utf8) + [0] + Array(String(character).utf8)
        return PBKDF2.deriveKey(password: password, salt: salt, iterations: secretCharacterIterations)
    }

    /// The normal form of a KBA answer: case-folded, punctuation removed, whitespace trimmed and collapsed.
    ///
    /// `"  The  Beatles! "` and `"the beatles"` are the same answer.
    static func normalizeAnswer(_ answer: String) -> String {
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
