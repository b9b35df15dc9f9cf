/// The PostgreSQL schema as an ordered list of migrations; `riskgate_schema.version` holds how many ran.
///
/// A new database runs them all (under an advisory lock, see `PostgresStateStore.migrate`); an
/// existing one runs those after its version.
///
/// Every table that holds one user's data has the user id as the first column of its primary key
/// (`user_id`), so the database can be distributed by user (Citus: `create_distributed_table(…,
/// 'user_id')`) without a redesign; the global tables (`audit_chains`, `blobs`, model statistics)
/// are small and would be reference tables. Never edit a released migration: append a new one.
enum PostgresSchema {
    /// Key of the advisory lock held while migrating, so replicas starting together migrate once.
    static let migrationLock: Int64 = 0x5249_534B_4741_5445  // "RISKGATE"

    /// Each migration is a list of statements, run in one transaction.
    static let migrations: [[String]] = [
        // 1: initial schema.
        [
            """
            CREATE TABLE users (
                user_id text PRIMARY KEY,
                -- Incremented by every write; a commit names the version it read (optimistic concurrency).
                version bigint NOT NULL,
                -- The whole state in the core's binary format; NULL for a row that only anchors challenges.
                state bytea
            )
            """,
            """
            CREATE TABLE challenges (
                user_id text NOT NULL,
                id text NOT NULL,
                created double precision NOT NULL,
                state text NOT NULL,
                revision integer NOT NULL,
                record text NOT NULL,
                PRIMARY KEY (user_id, id)
            )
            """,
            """
            CREATE INDEX challenges_id ON challenges (id)
            """,
            """
            CREATE TABLE outbox (
                user_id text NOT NULL,
                id bigserial NOT NULL,
                created double precision NOT NULL,
                kind text NOT NULL,
                channel text NOT NULL,
                destination text,
                challenge text,
                body text NOT NULL,
                -- Delivery bookkeeping: tries so far and when to try next (NULL: at once).
                attempts integer NOT NULL DEFAULT 0,
                next_attempt double precision,
                PRIMARY KEY (user_id, id)
            )
            """,
            """
            CREATE INDEX outbox_order ON outbox (id)
            """,
            """
            CREATE INDEX outbox_challenge ON outbox (challenge)
            """,
            """
            CREATE SEQUENCE audit_id_seq
            """,
            """
            CREATE TABLE audit (
                user_id text NOT NULL,
                id bigint NOT NULL,
                chain text NOT NULL,
                seq bigint NOT NULL,
                time text NOT NULL,
                kind text NOT NULL,
                policy_hash text,
                outcome text,
                rules text NOT NULL,
                signals text NOT NULL,
                method text,
                result text,
                reference text,
                prev_hash text NOT NULL,
                hash text NOT NULL,
                key_id text NOT NULL,
                PRIMARY KEY (user_id, id)
            )
            """,
            """
            CREATE INDEX audit_order ON audit (id)
            """,
            """
            CREATE INDEX audit_chain_seq ON audit (chain, seq)
            """,
            """
            CREATE INDEX audit_decision_reference ON audit (reference) WHERE kind = 'decision'
            """,
            """
            CREATE TABLE audit_chains (
                chain text PRIMARY KEY,
                started double precision NOT NULL,
                last_seq bigint NOT NULL,
                last_id bigint NOT NULL,
                hash text NOT NULL
            )
            """,
            """
            CREATE FUNCTION riskgate_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit log is append-only'; END $$
            """,
            """
            CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit
                FOR EACH ROW EXECUTE FUNCTION riskgate_audit_append_only()
            """,
            """
            CREATE TABLE blobs (
                key text PRIMARY KEY,
                value bytea NOT NULL
            )
            """,
            """
            -- The login model's global statistics, merged: each replica adds what it learned.
            CREATE TABLE model_counts (
                key bigint PRIMARY KEY,
                parent bigint NOT NULL,
                count bigint NOT NULL
            )
            """,
            """
            CREATE TABLE model_totals (
                singleton integer PRIMARY KEY CHECK (singleton = 1),
                total bigint NOT NULL,
                users bigint NOT NULL
            )
            """,
            // Webhook delivery's dead letters (docs/delivery.md): a message that failed too often,
            // kept under its outbox id until an operator sends it back.
            """
            CREATE TABLE dead_letters (
                user_id text NOT NULL,
                id bigint NOT NULL,
                created double precision NOT NULL,
                kind text NOT NULL,
                channel text NOT NULL,
                destination text,
                challenge text,
                body text NOT NULL,
                attempts integer NOT NULL,
                reason text NOT NULL,
                dead_at double precision NOT NULL,
                PRIMARY KEY (user_id, id)
            )
            """,
            """
            CREATE INDEX dead_letters_order ON dead_letters (id)
            """,
        ],
    ]
}
