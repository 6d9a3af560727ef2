-- Several ServiceTitan tenants ("connections"). Ids are unique within a tenant only, so every look-up by booking or job
-- id is made within the referral's connection. Existing rows belong to the single connection, "default".
ALTER TABLE referral ADD COLUMN connection TEXT NOT NULL DEFAULT 'default';
DROP INDEX referral_booking;
CREATE UNIQUE INDEX referral_booking ON referral (connection, booking_id) WHERE booking_id IS NOT NULL;
DROP INDEX referral_job;
CREATE INDEX referral_job ON referral (connection, job_id) WHERE job_id IS NOT NULL;
DROP INDEX referral_to_evaluate;
CREATE INDEX referral_to_evaluate ON referral (connection, id) WHERE needs_evaluation;

-- Each connection follows the export feeds from its own continuation tokens.
ALTER TABLE poll_cursor ADD COLUMN connection TEXT NOT NULL DEFAULT 'default';
ALTER TABLE poll_cursor DROP CONSTRAINT poll_cursor_pkey;
ALTER TABLE poll_cursor ADD PRIMARY KEY (connection, feed);

-- An operator's pause of a connection's scheduled poll, shared by every node and kept across restarts.
CREATE TABLE poll_control (
    connection  TEXT        PRIMARY KEY,
    paused      BOOLEAN     NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
