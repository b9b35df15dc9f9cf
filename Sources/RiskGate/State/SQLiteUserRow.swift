import Foundation
import RiskGateEngine
import RiskGatePolicy

/// One `users` row, encoded on the caller's thread so the writer thread only binds values.
///
/// The `history` blob holds the whole state in ``UserStateCodec``'s binary format, which is what
/// a read decodes; profile fields and lockout counters are also written to their own columns so
/// the file can be inspected and queried with SQL.
struct SQLiteUserRow: Sendable {
    let user: String
    let known: Int64
    let homeCountry: String?
    let phone: String?
    let email: String?
    let createdAt: Double?
    let kba: String
    let partialSecret: String
    let trustedDevices: String
    let failures: String
    let lockedUntil: Double?
    let lockouts: Int64
    let banned: Int64
    let history: Data

    /// The columns a read selects for ``decode(_:path:)``: only the blob, which holds everything.
    static let columns = "history"

    static let upsert: StaticString = """
        INSERT INTO users (user, known, home_country, phone, email, created_at, kba, partial_secret,
                           trusted_devices, failures, locked_until, lockouts, banned, history)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(user) DO UPDATE SET known = excluded.known, home_country = excluded.home_country,
            phone = excluded.phone, email = excluded.email, created_at = excluded.created_at, kba = excluded.kba,
            partial_secret = excluded.partial_secret, trusted_devices = excluded.trusted_devices,
            failures = excluded.failures, locked_until = excluded.locked_until, lockouts = excluded.lockouts,
            banned = excluded.banned, history = excluded.history
        """

    /// Encodes `state` for `user`.
    ///
    /// - Throws: ``StoreError`` `.encoding` when a value cannot be encoded.
    init(user: String, state: UserState, path: String) throws {
        // The columns are for people and SQL (the blob is what is read back); written with the
        // compact writer, the same bytes `JSONEncoder` with `.sortedKeys` gives.
        func text(_ write: (inout JSONWriter) throws(JSONWriter.Failure) -> Void) throws -> String {
            var w = JSONWriter(escapesSlashes: true, capacity: 64)
            do { try write(&w) } catch {
                throw StoreError(code: .encoding, message: "cannot encode a profile column: \(error)", path: path)
            }
            return w.text
        }
        let p = state.profile
        self.user = user
        known = p.known ? 1 : 0
        homeCountry = p.homeCountry
        phone = p.phone
        email = p.email
        createdAt = p.createdAt?.timeIntervalSince1970
        kba = try text { (w: inout JSONWriter) throws(JSONWriter.Failure) in
            try w.objects(p.kba) { (w: inout JSONWriter, answer: KBAAnswer) throws(JSONWriter.Failure) in
                w.key("hash"); w.string(answer.hash)
                w.key("key_id"); w.string(answer.keyID)
                w.key("question"); w.string(answer.question)
            }
        }
        // Only that a secret is set, and under which key: the sealed box itself is in the blob.
        partialSecret = try text { (w: inout JSONWriter) throws(JSONWriter.Failure) in
            try w.objects(p.partialSecret.map { [$0] } ?? []) { (w: inout JSONWriter, sealed: SealedSecret) throws(JSONWriter.Failure) in
                w.key("key_id"); w.string(sealed.keyID)
            }
        }
        trustedDevices = try text { (w: inout JSONWriter) throws(JSONWriter.Failure) in try w.strings(p.trustedDevices) }
        failures = try text { (w: inout JSONWriter) throws(JSONWriter.Failure) in
            try w.array(state.failures) { (w: inout JSONWriter, failure: Date) throws(JSONWriter.Failure) in
                try w.number(failure.timeIntervalSince1970)
            }
        }
        lockedUntil = state.lockedUntil?.timeIntervalSince1970
        lockouts = Int64(state.lockouts)
        banned = state.banned ? 1 : 0
        history = UserStateCodec.withEncoded(state) { Data($0) }
    }

    func bind(to s: SQLiteConnection.Statement) {
        s.bind(1, user)
        s.bind(2, known)
        s.bind(3, homeCountry)
        s.bind(4, phone)
        s.bind(5, email)
        s.bind(6, createdAt)
        s.bind(7, kba)
        s.bind(8, partialSecret)
        s.bind(9, trustedDevices)
        s.bind(10, failures)
        s.bind(11, lockedUntil)
        s.bind(12, lockouts)
        s.bind(13, banned)
        s.bind(14, history)
    }

    /// Decodes the columns of ``columns`` (the `history` blob) of the statement's current row.
    ///
    /// - Throws: ``StoreError`` `.corrupt` when the blob does not decode.
    static func decode(_ s: SQLiteConnection.Statement, path: String) throws -> UserState {
        // NULL: a row that only anchors a challenge (its user has no state yet).
        guard let blob = s.data(0) else { return UserState() }
        do { return try UserStateCodec.decode(blob) } catch {
            throw StoreError(code: .corrupt, message: "cannot decode `users.history`: \(error)", path: path)
        }
    }
}
