-- Named queries on enrolments (customers enrolled as referrers) and backfills.

-- name: owe
-- (connection, campaign_id, backfill_id, customer_ids[], job_ids[], completed_on[] (text), enrol_referred, connection,
-- delay_seconds): an enrolment per customer not enrolled in the campaign yet, with its task, due after the delay. A
-- customer who was referred (the job or the customer of one of the connection's referrals) only if enrol_referred.
WITH e AS (
    INSERT INTO enrolment (connection, campaign_id, backfill_id, customer_id, job_id, completed_at)
    SELECT ?, ?, CAST(? AS BIGINT), u.customer_id, u.job_id, CAST(u.completed_on AS TIMESTAMPTZ)
    FROM unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS TEXT[])) AS u(customer_id, job_id, completed_on)
    WHERE CAST(? AS BOOLEAN) OR NOT EXISTS (SELECT 1 FROM referral r WHERE r.connection = ?
        AND (r.job_id = u.job_id OR r.customer_id = u.customer_id))
    ON CONFLICT (connection, campaign_id, customer_id) DO NOTHING
    RETURNING id, completed_at
)
INSERT INTO outbox (kind, enrolment_id, next_attempt_at)
SELECT 'enrol_customer', e.id, greatest(now(), coalesce(e.completed_at, now()) + make_interval(secs => ?)) FROM e

-- name: load
-- (id)
SELECT id, connection, campaign_id, customer_id, job_id, backfill_id, state,
    CAST(extract(EPOCH FROM now() - coalesce(completed_at, created_at)) AS BIGINT) AS seconds_since_completed
FROM enrolment WHERE id = ?

-- name: waiting
-- (reason, id): the invoices fall short for now; the task is due again later
UPDATE enrolment SET reason = ? WHERE id = ? AND state = 'pending'

-- name: enrolled
-- (code, link, id)
UPDATE enrolment SET state = 'enrolled', referral_code = ?, referral_link = ?, reason = NULL, done_at = now()
WHERE id = ?

-- name: skipped
-- (reason, id)
UPDATE enrolment SET state = 'skipped', reason = ?, done_at = now() WHERE id = ?

-- name: start-backfill
-- (connection, campaign_id, from, to): no row when a backfill of the campaign is reading already (one at a time)
INSERT INTO enrolment_backfill (connection, campaign_id, completed_from, completed_to)
VALUES (?, ?, CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ))
ON CONFLICT (campaign_id) WHERE state = 'reading' DO NOTHING
RETURNING id

-- name: next-page
-- the oldest backfill still reading that no other node is reading a page of: an advisory lock, held to the end of this
-- transaction, not a row lock, so an operator's cancel never waits for ServiceTitan's answer (page-read then finds it
-- canceled)
SELECT id, connection, campaign_id, next_page,
    to_char(completed_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS completed_from,
    to_char(completed_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS completed_to
FROM enrolment_backfill
WHERE state = 'reading' AND pg_try_advisory_xact_lock(hashtext('enrolment_backfill'), CAST(id AS INT))
ORDER BY id LIMIT 1

-- name: page-read
-- (jobs_total or null, jobs on the page, done reading, id, page): the page applied with the number of the next; no row
-- if the backfill was canceled meanwhile, or the page was applied already (the node's snapshot predates it)
UPDATE enrolment_backfill SET next_page = next_page + 1, jobs_total = coalesce(CAST(? AS INT), jobs_total),
    jobs_read = jobs_read + ?, last_error = NULL,
    state = CASE WHEN CAST(? AS BOOLEAN) THEN 'enrolling' ELSE state END,
    read_at = CASE WHEN CAST(? AS BOOLEAN) THEN now() END
WHERE id = ? AND state = 'reading' AND next_page = ?

-- name: backfill-failed
-- (error, id): the page is read again at the next tick
UPDATE enrolment_backfill SET last_error = ? WHERE id = ?

-- name: cancel-backfill
-- (id): no more pages; enrolments already owed go on
UPDATE enrolment_backfill SET state = 'canceled' WHERE id = ? AND state = 'reading'

-- name: backfills
-- (id or null): progress of each backfill, newest first
SELECT b.id, b.connection, b.campaign_id, b.state, b.jobs_total, b.jobs_read, b.last_error,
    to_char(b.completed_from AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS completed_from,
    to_char(b.completed_to AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS completed_to,
    to_char(b.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started_at,
    extract(epoch FROM now() - b.started_at) AS age_seconds,
    count(e.id) AS found,
    count(e.id) FILTER (WHERE e.state = 'enrolled') AS enrolled,
    count(e.id) FILTER (WHERE e.state = 'skipped') AS skipped,
    count(e.id) FILTER (WHERE e.state = 'failed') AS failed,
    count(e.id) FILTER (WHERE e.state = 'pending') AS pending,
    count(e.id) FILTER (WHERE e.done_at > now() - interval '60 seconds') AS done_last_minute
FROM enrolment_backfill b LEFT JOIN enrolment e ON e.backfill_id = b.id
WHERE CAST(? AS BIGINT) IS NULL OR b.id = CAST(? AS BIGINT)
GROUP BY b.id
ORDER BY b.id DESC
LIMIT 20
