import Foundation
import Testing
@testable import RiskGate
@testable import RiskGateEngine
@testable import RiskGatePolicy

/// The attacks of someone holding a copy of the database but not the key file: each failed on the
/// store as it was (unkeyed SHA-256 codes, per-character PIN hashes, PBKDF2 answers, a 0644 file).
@Suite struct StoredSecretsAttackTests {
    /// Opens a SQLite store in a fresh folder, with its key file elsewhere.
    static func sqliteFixture(_ dir: TempDirectory) throws -> (ChallengeFixture, SQLiteStateStore) {
        try FileManager.default.createDirectory(atPath: dir.path("keys"), withIntermediateDirectories: true)
        try SecretsKeyFile.create(path: dir.path("keys/secrets.key"))
        let store = try SQLiteStateStore(path: dir.path("state.db"), secrets: SecretsKeyFile.load(path: dir.path("keys/secrets.key")))
        var f = ChallengeFixture(store: store)
        f.policy.otpKbaDelay.kbaQuestions = 1
        f.policy.otpKbaDelay.partialSecretCharacters = 2
        return (f, store)
    }

    /// Everything the database directory holds, as one byte string.
    static func databaseBytes(_ dir: TempDirectory) -> Data {
        var bytes = Data()
        for suffix in ["", "-wal", "-shm"] {
            if let data = FileManager.default.contents(atPath: dir.path("state.db") + suffix) { bytes.append(data) }
        }
        return bytes
    }

    @Test func anOTPCodeCannotBeTestedOrReadWithoutTheKey() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let (f, store) = try Self.sqliteFixture(dir)
        try f.enroll()
        let (made, code) = try f.issue(.otp)
        let id = try #require(made.challenge?.id)
        let stored = try #require(try store.loadChallenge(id))
        let step = try #require(stored.steps.first)
        let salt = try #require(step.salt)
        let tag = try #require(step.codeHash)
        // The attack that recovered codes in under a second: SHA-256(salt || code) for every code.
        #expect(SHA256.hash(salt + Array(code.utf8)) != tag)
        // Keyed: under any other key the right code does not give the stored tag.
        let other = SecretsKeyring.ephemeral()
        #expect(!SecretHashing.otpMatches(code: code, salt: salt, challenge: stored.id, keyID: "ephemeral", tag: tag, keyring: other))
        // The undelivered code waits encrypted; neither the file nor the outbox row holds it in clear.
        let message = try #require(try store.outbox(limit: 10).first { $0.kind == "otp" })
        #expect(!message.body.contains(code))
        #expect(throws: SecretsKeyFile.Failure.self) { try message.openedForDelivery(keyring: other) }
        #expect(try message.openedForDelivery(keyring: store.secrets).body.contains(code))
        #expect(Self.databaseBytes(dir).range(of: Data("\"code\":\"\(code)\"".utf8)) == nil)
        // And the right code still passes.
        #expect(try f.service.verify(challengeID: stored.id, step: "otp", response: code).result == .passed)
    }

    @Test func aPINIsEncryptedWholeAndItsCharactersAreNotHashedOneByOne() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let (f, store) = try Self.sqliteFixture(dir)
        try f.enroll()  // secret "tulip7castle"
        let user = try #require(try store.loadUser("u-1"))
        let sealed = try #require(user.profile.partialSecret)
        #expect(sealed.box.count == AESGCM.nonceLength + SecretHashing.maxSecretBytes + 2 + AESGCM.tagLength)
        #expect(SecretHashing.openSecret(sealed, user: "u-1", keyring: SecretsKeyring.ephemeral()) == nil)
        // Bound to its user: copied onto another account's row, it does not open.
        #expect(SecretHashing.openSecret(sealed, user: "u-2", keyring: store.secrets) == nil)
        #expect(SecretHashing.openSecret(sealed, user: "u-1", keyring: store.secrets) == Array("tulip7castle"))
        #expect(Self.databaseBytes(dir).range(of: Data("tulip7castle".utf8)) == nil)
    }

    @Test func partialSecretStepsCompareOnlyTheAskedCharacters() throws {
        var f = ChallengeFixture()
        f.policy.otpKbaDelay.kbaQuestions = 0
        f.policy.otpKbaDelay.partialSecretCharacters = 2
        f.policy.fallbacks = [.init(conditionIndex: 0, replace: "otp", with: "partial_secret")]
        try f.enroll()
        let (made, _) = try f.issue(.otp, fallback: { _ in true })
        let challenge = try #require(made.challenge)
        let positions = try #require(challenge.steps.first?.positions)
        let secret = Array("tulip7castle")
        let right = String(positions.map { secret[$0 - 1] })
        let wrong = String(right.reversed()) == right ? right + "x" : String(right.reversed())
        #expect(try f.service.verify(challengeID: challenge.id, step: "partial_secret", response: wrong).result == .failed)
        #expect(try f.service.verify(challengeID: challenge.id, step: "partial_secret", response: right).result == .passed)
    }

    @Test func kbaAnswersArePepperedArgon2id() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let (f, store) = try Self.sqliteFixture(dir)
        try f.enroll()
        let answer = try #require(try store.loadUser("u-1")?.profile.kba.first)
        let parameters = try #require(Argon2id.parameters(of: answer.hash))
        #expect(answer.hash.hasPrefix("$argon2id$v=19$"))
        #expect(parameters.memoryKiB >= 19_456 && parameters.iterations >= 2)
        // Without the pepper key, even the right answer does not verify: a dictionary attack on the
        // copied hash needs the key file too.
        #expect(!Argon2id.verify(password: Array(SecretHashing.normalizeAnswer("Rex the Dog").utf8), encoded: answer.hash))
        #expect(!SecretHashing.kbaMatches(answer: "Rex the Dog", stored: answer, keyring: .ephemeral()))
        #expect(SecretHashing.kbaMatches(answer: "  rex THE dog! ", stored: answer, keyring: store.secrets))
    }

    @Test func aRotatedKeyStillReadsOldRecordsAndWritesNewOnes() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try SecretsKeyFile.create(path: dir.path("secrets.key"))
        let first = try SecretsKeyFile.load(path: dir.path("secrets.key"))
        let (keyID, hash) = SecretHashing.kbaHash(answer: "Rex", keyring: first, random: SystemRandomSource())
        let sealed = SecretHashing.sealSecret("1234", user: "u-1", keyring: first, random: SystemRandomSource())
        try SecretsKeyFile.rotate(path: dir.path("secrets.key"))
        let rotated = try SecretsKeyFile.load(path: dir.path("secrets.key"))
        #expect(rotated.keys.count == 2)
        #expect(rotated.current.id != first.current.id)
        let stored = KBAAnswer(question: "q", keyID: keyID, hash: hash)
        #expect(SecretHashing.kbaMatches(answer: "rex", stored: stored, keyring: rotated))
        #expect(SecretHashing.kbaNeedsRehash(stored, keyring: rotated))
        #expect(SecretHashing.openSecret(sealed, user: "u-1", keyring: rotated) == Array("1234"))
    }

    @Test func filesAreCreatedPrivate() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        let store = try SQLiteStateStore(path: dir.path("state.db"))
        try store.commit(StateChange(users: ["u-1": UserState()]))
        for file in ["state.db", "state.db-wal", "state.db-shm", "state.db.key"] {
            let mode = try #require(try FileManager.default.attributesOfItem(atPath: dir.path(file))[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(file) has mode \(String(mode, radix: 8))")
        }
    }

    @Test func aKeyFileOthersCanReadIsRefused() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        try SecretsKeyFile.create(path: dir.path("k"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: dir.path("k"))
        #expect { try SecretsKeyFile.load(path: dir.path("k")) } throws: { error in
            "\(error)".contains("chmod 600")
        }
        #expect(throws: SecretsKeyFile.Failure.self) { try SecretsKeyFile.create(path: dir.path("k")) }
        #expect(throws: StoreError.self) {
            try SQLiteStateStore(path: dir.path("other.db"), secrets: nil).commit(StateChange())
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: dir.path("other.db.key"))
            _ = try SQLiteStateStore(path: dir.path("other.db"))
        }
    }

    @Test func malformedKeyFilesNameTheLineNotTheKey() throws {
        let dir = TempDirectory()
        defer { dir.cleanup() }
        for (text, expected) in [("riskgate-key-v1 a 00\n", "64 hex"), ("nonsense\n", "line 1"), ("# only a comment\n", "no key"),
                                 ("riskgate-key-v1 a \(String(repeating: "ab", count: 32))\nriskgate-key-v1 a \(String(repeating: "cd", count: 32))\n", "twice")] {
            let path = dir.path("k\(expected.count)")
            _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
            #expect { try SecretsKeyFile.load(path: path) } throws: { error in
                "\(error)".contains(expected) && !"\(error)".contains("abab")
            }
        }
    }
}
