/// The SQLite schema as an ordered list of migrations; `PRAGMA user_version` holds how many ran.
///
/// A new database runs them all; an existing one runs those after its version. Never edit a
/// released migration: append a new one (a table is changed by rebuilding it, which `migrate`
/// allows by turning foreign keys off while migrations run).
enum SQLiteSchema {
    static let migrations: [String] = [
        // 1: initial schema.
        //
        // `users` is a rowid table: a user's row holds the binary state (kilobytes), and in a
        // WITHOUT ROWID table rows that large spill into overflow pages far sooner, making every
        // upsert about twice as expensive.
        //
        // `audit_decision_reference` finds a decision by id (`POST /v1/feedback` refuses unknown
        // decisions); partial, over decision records only: verification, shadow and feedback
        // records are not looked up this way. `outbox_challenge` finds a challenge's outbox
        // messages (its code is deleted once spent, see `SQLiteWriter`).
        //
        // Pruning exported audit records (`riskgate audit prune`): the checkpoint names the last
        // pruned record; the delete trigger refuses only records after it, so nothing but a
        // checkpointed prefix can be deleted, and the checkpoint itself cannot move backwards.
        //
        // Webhook delivery: an outbox message counts its failed attempts and waits for the next
        // one; after too many it moves, under the same id, to `dead_letters` until an operator
        // sends it back (docs/delivery.md).
        """
        CREATE TABLE users (
            user TEXT PRIMARY KEY NOT NULL,
            known INTEGER NOT NULL DEFAULT 0,
            home_country TEXT,
            phone TEXT,
            email TEXT,
            created_at REAL,
            kba TEXT NOT NULL DEFAULT '[]',
            partial_secret TEXT NOT NULL DEFAULT '[]',
            trusted_devices TEXT NOT NULL DEFAULT '[]',
            failures TEXT NOT NULL DEFAULT '[]',
            locked_until REAL,
            lockouts INTEGER NOT NULL DEFAULT 0,
            banned INTEGER NOT NULL DEFAULT 0,
            history BLOB
        );
        CREATE TABLE challenges (
            id TEXT PRIMARY KEY NOT NULL,
            user TEXT NOT NULL REFERENCES users(user) ON DELETE CASCADE,
            created REAL NOT NULL,
            state TEXT NOT NULL,
            revision INTEGER NOT NULL,
            record TEXT NOT NULL
        );
        CREATE INDEX challenges_user ON challenges(user);
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created REAL NOT NULL,
            kind TEXT NOT NULL,
            channel TEXT NOT NULL,
            user TEXT NOT NULL,
            destination TEXT,
            challenge TEXT,
            body TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt REAL
        );
        CREATE INDEX outbox_challenge ON outbox(challenge);
        CREATE TABLE dead_letters (
            id INTEGER PRIMARY KEY,
            created REAL NOT NULL,
            kind TEXT NOT NULL,
            channel TEXT NOT NULL,
            user TEXT NOT NULL,
            destination TEXT,
            challenge TEXT,
            body TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            reason TEXT NOT NULL,
            dead_at REAL NOT NULL
        );
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            time TEXT NOT NULL,
            kind TEXT NOT NULL,
            user TEXT NOT NULL,
            policy_hash TEXT,
            outcome TEXT,
            rules TEXT NOT NULL,
            signals TEXT NOT NULL,
            method TEXT,
            result TEXT,
            reference TEXT,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL,
            key_id TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX audit_decision_reference ON audit(reference) WHERE kind = 'decision';
        CREATE TABLE audit_head (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            last_id INTEGER NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TABLE audit_checkpoint (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            through_id INTEGER NOT NULL,
            hash TEXT NOT NULL,
            time TEXT NOT NULL,
            key_id TEXT NOT NULL,
            tag TEXT NOT NULL
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            WHEN old.id > coalesce((SELECT through_id FROM audit_checkpoint), 0)
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
            WHEN new.through_id <= old.through_id
            BEGIN SELECT RAISE(ABORT, 'audit checkpoint only moves forward'); END;
        CREATE TABLE blobs (
            key TEXT PRIMARY KEY NOT NULL,
            value BLOB NOT NULL
        ) WITHOUT ROWID;
        """,
    ]
}
