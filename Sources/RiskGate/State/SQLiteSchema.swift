/// The SQLite schema as an ordered list of migrations; `PRAGMA user_version` holds how many ran.
///
/// Never edit a released migration: append a new one.
enum SQLiteSchema {
    static let migrations: [String] = [
        // 1: initial schema.
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
        ) WITHOUT ROWID;
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
            body TEXT NOT NULL
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
            hash TEXT NOT NULL
        );
        CREATE TABLE audit_head (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            last_id INTEGER NOT NULL,
            hash TEXT NOT NULL
        );
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TABLE blobs (
            key TEXT PRIMARY KEY NOT NULL,
            value BLOB NOT NULL
        ) WITHOUT ROWID;
        """,
        // 2: `users` as a rowid table. A user's row holds the binary state (kilobytes); in a
        // WITHOUT ROWID table, rows that large spill into overflow pages far sooner and make every
        // upsert about twice as expensive. Same columns; runs with foreign keys off (see `migrate`).
        """
        CREATE TABLE users_rowid (
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
        INSERT INTO users_rowid (user, known, home_country, phone, email, created_at, kba, partial_secret,
                                 trusted_devices, failures, locked_until, lockouts, banned, history)
            SELECT user, known, home_country, phone, email, created_at, kba, partial_secret,
                   trusted_devices, failures, locked_until, lockouts, banned, history FROM users;
        DROP TABLE users;
        ALTER TABLE users_rowid RENAME TO users;
        """,
        // 3: find a decision by id (`POST /v1/feedback` refuses unknown decisions). Partial, over
        // decision records only: verification, shadow and feedback records are not looked up this way.
        """
        CREATE INDEX audit_decision_reference ON audit(reference) WHERE kind = 'decision';
        """,
        // 4: find a challenge's outbox messages (its code is deleted once spent, see `SQLiteWriter`).
        """
        CREATE INDEX outbox_challenge ON outbox(challenge);
        """,
        // 5: audit records name the secrets key that authenticated them (key rotation).
        """
        ALTER TABLE audit ADD COLUMN key_id TEXT NOT NULL DEFAULT '';
        """,
        // 6: pruning exported audit records (`riskgate audit prune`). The checkpoint names the last
        // pruned record; the delete trigger now refuses only records after it, so nothing but a
        // checkpointed prefix can be deleted, and the checkpoint itself cannot move backwards.
        """
        CREATE TABLE audit_checkpoint (
            singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
            through_id INTEGER NOT NULL,
            hash TEXT NOT NULL,
            time TEXT NOT NULL,
            key_id TEXT NOT NULL,
            tag TEXT NOT NULL
        );
        CREATE TRIGGER audit_checkpoint_forward BEFORE UPDATE ON audit_checkpoint
            WHEN new.through_id <= old.through_id
            BEGIN SELECT RAISE(ABORT, 'audit checkpoint only moves forward'); END;
        DROP TRIGGER audit_no_delete;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            WHEN old.id > coalesce((SELECT through_id FROM audit_checkpoint), 0)
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        """,
        // 7: webhook delivery. An outbox message counts its failed attempts and waits for the next
        // one; after too many it moves, under the same id, to `dead_letters` until an operator
        // sends it back (docs/delivery.md).
        """
        ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE outbox ADD COLUMN next_attempt REAL;
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
        """,
    ]
}
