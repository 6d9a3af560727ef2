-- The outbox as a task queue whose back-off waits in the table, not in a sleeping thread: a failed attempt sets the
-- task's next attempt and frees it, so one task's back-off never holds back another's first attempt, and a stopping or
-- crashed process holds no task while it waits. A claim carries a token, checked when the task is renewed, completed,
-- rescheduled or dead-lettered (fencing): a worker whose claim ran out and was taken over cannot record a result. The
-- claiming node's id lets it take up its own claims at once when it restarts.
ALTER TABLE outbox
    ADD COLUMN next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN claim_token     UUID,
    ADD COLUMN claimed_by      TEXT,
    ADD COLUMN last_error      TEXT;
DROP INDEX outbox_pending;
CREATE INDEX outbox_due ON outbox (kind, next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_claimed_by ON outbox (claimed_by) WHERE status = 'pending' AND claimed_by IS NOT NULL;

-- A queue's hold: after a failure of the service itself (5xx, 429, timeout, I/O), no task of that queue (a kind of task
-- for one ServiceTitan connection, or for the platform) is attempted until the hold ends; the failing task is due again
-- then, and the backlog resumes in order of arrival. The hold grows with consecutive failures of the queue and is reset
-- by any success, so one referral whose calls keep failing cannot hold the others back for long.
CREATE TABLE outbox_hold (
    kind      TEXT        NOT NULL,
    queue     TEXT        NOT NULL,
    failures  INT         NOT NULL DEFAULT 0,
    until     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, queue)
);
