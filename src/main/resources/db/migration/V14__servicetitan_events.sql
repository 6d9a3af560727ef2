-- ServiceTitan v2 webhook events (CloudEvents), kept by connection and userassignedid: ServiceTitan retries an event
-- (10, 30, 60, 300 s) with the same userassignedid while its delivery id may change, so a repeat is recognised here.
-- An event only wakes the poll and flags the referrals it names; the export feeds stay the truth.
CREATE TABLE servicetitan_event (
    connection       TEXT        NOT NULL,
    user_assigned_id TEXT        NOT NULL,
    type             TEXT        NOT NULL,
    payload          JSONB       NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (connection, user_assigned_id)
);
CREATE INDEX servicetitan_event_received ON servicetitan_event (received_at);
