"""The fleet's PostgreSQL schema, as append-only migration steps (``db.migrate`` applies them).

Usage is range-partitioned by bucket month (``usage_YYYYMM``, created on demand by the ingest
before the first insert into a month); ``(box_id, seq, bucket)`` is the usage key, and a record's
bucket never changes once the box assigned its seq, so ``ON CONFLICT DO NOTHING`` on it counts
every record once.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE box (
        id text PRIMARY KEY,
        name text NOT NULL DEFAULT '',
        grp text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz,
        online boolean NOT NULL DEFAULT false,
        status jsonb,
        status_at timestamptz
    );
    CREATE TABLE usage (
        box_id text NOT NULL,
        seq bigint NOT NULL,
        bucket timestamptz NOT NULL,
        scope text NOT NULL CHECK (scope IN ('uplink', 'client', 'guest')),
        key text NOT NULL,
        uplink text NOT NULL DEFAULT '',
        rx bigint NOT NULL CHECK (rx >= 0),
        tx bigint NOT NULL CHECK (tx >= 0),
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (box_id, seq, bucket)
    ) PARTITION BY RANGE (bucket);
    CREATE INDEX usage_by_box_bucket ON usage (box_id, bucket);
    CREATE TABLE plan_state (
        box_id text NOT NULL,
        iccid text NOT NULL,
        body jsonb NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (box_id, iccid)
    );
    CREATE TABLE event (
        box_id text NOT NULL,
        seq bigint NOT NULL,
        ts timestamptz NOT NULL,
        kind text NOT NULL,
        severity text NOT NULL,
        message_id text NOT NULL DEFAULT '',
        params jsonb NOT NULL DEFAULT '{}',
        message text NOT NULL DEFAULT '',
        PRIMARY KEY (box_id, seq)
    );
    CREATE INDEX event_by_ts ON event (ts);
    CREATE TABLE uplink_decision (
        box_id text NOT NULL,
        seq bigint NOT NULL,
        ts timestamptz NOT NULL,
        chosen text NOT NULL,
        previous text NOT NULL DEFAULT '',
        reason_id text NOT NULL DEFAULT '',
        params jsonb NOT NULL DEFAULT '{}',
        reason text NOT NULL DEFAULT '',
        PRIMARY KEY (box_id, seq)
    );
    CREATE TABLE command (
        id text PRIMARY KEY,
        box_id text NOT NULL,
        action text NOT NULL,
        args jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        requested_by text NOT NULL DEFAULT '',
        answered_at timestamptz,
        ok boolean,
        result jsonb,
        error text NOT NULL DEFAULT ''
    );
    CREATE INDEX command_by_box ON command (box_id, created_at);
    CREATE TABLE alert (
        id bigserial PRIMARY KEY,
        box_id text NOT NULL,
        kind text NOT NULL,
        key text NOT NULL DEFAULT '',
        raised_at timestamptz NOT NULL DEFAULT now(),
        cleared_at timestamptz,
        message_id text NOT NULL DEFAULT '',
        params jsonb NOT NULL DEFAULT '{}'
    );
    CREATE UNIQUE INDEX alert_open ON alert (box_id, kind, key) WHERE cleared_at IS NULL;
    """,
    # A result's message id (Result.error_id), so a failed command's reason can be translated.
    "ALTER TABLE command ADD COLUMN error_id text NOT NULL DEFAULT '';",
)
