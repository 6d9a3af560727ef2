-- Named queries of the ServiceTitan poll and the qualification router.

-- name: cursor
-- (connection, feed)
SELECT continue_from FROM poll_cursor WHERE connection = ? AND feed = ?

-- name: save-cursor
-- (connection, feed, continue_from)
INSERT INTO poll_cursor (connection, feed, continue_from) VALUES (?, ?, ?)
ON CONFLICT (connection, feed) DO UPDATE SET continue_from = EXCLUDED.continue_from, updated_at = now()

-- name: paused
-- (connection)
SELECT paused FROM poll_control WHERE connection = ?

-- name: set-paused
-- (connection, paused)
INSERT INTO poll_control (connection, paused) VALUES (?, ?)
ON CONFLICT (connection) DO UPDATE SET paused = EXCLUDED.paused, updated_at = now()

-- name: by-bookings
-- (connection, booking_ids[])
SELECT id, booking_id, job_id, state, booking_status, not_qualified_reason
FROM referral WHERE connection = ? AND booking_id = ANY (?)

-- name: clear-not-qualified
-- (referral_id)
UPDATE referral SET not_qualified_reason = NULL WHERE id = ?

-- name: by-jobs
-- (connection, booking_ids[], connection, job_ids[]): two index scans
SELECT id, booking_id, job_id, state FROM referral WHERE connection = ? AND booking_id = ANY (?)
UNION
SELECT id, booking_id, job_id, state FROM referral WHERE connection = ? AND job_id = ANY (?)

-- name: by-job-ids
-- (connection, job_ids[])
SELECT id, job_id FROM referral WHERE connection = ? AND job_id = ANY (?)

-- name: set-job
-- (job_id, job_status, referral_id, job_id): job_status is kept when the change carries none (a booking row). A
-- referral matched to a phone-in job keeps that job: its booking, converted later, does not replace it.
UPDATE referral SET job_id = ?, job_status = coalesce(?, job_status), needs_evaluation = true,
    facts_version = facts_version + 1, updated_at = now()
WHERE id = ? AND (matched_by IS NULL OR job_id IS NULL OR job_id = ?)

-- name: upsert-invoices
-- (connection, invoice_ids[], job_ids[], totals[], balances[], actives[]): one page of the invoices feed, each invoice
-- once; kept by job whether or not the job is a referral's yet
INSERT INTO job_invoice (connection, invoice_id, job_id, total, balance, active)
SELECT ?, i.invoice_id, i.job_id, i.total, i.balance, i.active
FROM unnest(CAST(? AS BIGINT[]), CAST(? AS BIGINT[]), CAST(? AS NUMERIC[]), CAST(? AS NUMERIC[]), CAST(? AS BOOLEAN[]))
    AS i (invoice_id, job_id, total, balance, active)
ON CONFLICT (connection, invoice_id) DO UPDATE SET job_id = EXCLUDED.job_id, total = EXCLUDED.total,
    balance = EXCLUDED.balance, active = EXCLUDED.active, updated_at = now()

-- name: prune-invoices
-- (connection, retention_days): invoices of jobs that are no referral's, older than the retention window
DELETE FROM job_invoice ji
WHERE ji.connection = ? AND ji.updated_at < now() - make_interval(days => ?)
  AND NOT EXISTS (SELECT 1 FROM referral r WHERE r.connection = ji.connection AND r.job_id = ji.job_id)

-- name: set-booking-status
-- (booking_status, referral_id)
UPDATE referral SET booking_status = ?, needs_evaluation = true, facts_version = facts_version + 1, updated_at = now()
WHERE id = ?

-- name: flag
-- (referral_id)
UPDATE referral SET needs_evaluation = true, facts_version = facts_version + 1 WHERE id = ?

-- name: to-evaluate
-- (connections[], limit)
SELECT r.id, r.code, r.campaign_id, r.state, r.job_id, r.job_status, r.booking_status, r.not_qualified_reason,
       r.facts_version, r.milestone,
       CAST(extract(EPOCH FROM now() - r.notified_at) AS DOUBLE PRECISION) AS seconds_since_told,
       coalesce(sum(i.total) FILTER (WHERE i.active), 0)   AS invoice_total,
       coalesce(sum(i.balance) FILTER (WHERE i.active), 0) AS invoice_balance,
       count(i.invoice_id) FILTER (WHERE i.active)          AS invoice_count,
       count(i.invoice_id) FILTER (WHERE i.active AND i.total < 0) AS credit_count
FROM referral r LEFT JOIN job_invoice i ON i.connection = r.connection AND i.job_id = r.job_id
WHERE r.needs_evaluation AND r.connection = ANY (?)
GROUP BY r.id ORDER BY r.id LIMIT ?

-- name: evaluated
-- (referral_id, facts_version read by the evaluation): a change that arrived meanwhile keeps the flag
UPDATE referral SET needs_evaluation = false WHERE id = ? AND facts_version = ?

-- name: set-qualified
-- (milestone, referral_id)
UPDATE referral SET milestone = ?, qualified_at = now(), not_qualified_reason = NULL WHERE id = ?

-- name: set-not-qualified
-- (reason, referral_id)
UPDATE referral SET not_qualified_reason = ? WHERE id = ?

-- name: set-notified
-- (referral_id)
UPDATE referral SET notified_at = now() WHERE id = ?

-- name: for-notice
-- (referral_id)
SELECT r.id, r.code, r.campaign_id, r.platform, r.email, CAST(r.payload AS TEXT) AS payload, r.state, r.milestone,
       r.job_id,
       r.platform_told, r.platform_sending, r.not_qualified_reason, o.round,
       (SELECT sum(i.total) FROM job_invoice i WHERE i.connection = r.connection AND i.job_id = r.job_id
        AND i.active) AS revenue,
       CAST(extract(EPOCH FROM now() - r.qualified_at) AS DOUBLE PRECISION) AS seconds_since_qualified
FROM referral r LEFT JOIN outbox o ON o.referral_id = r.id AND o.kind = 'notify_platform'
WHERE r.id = ?

-- name: set-platform-told
-- (told, referral_id): the platform's answer recorded
UPDATE referral SET platform_told = ?, platform_sending = NULL WHERE id = ?

-- name: set-platform-sending
-- (value, referral_id): committed before the call, so a lost answer is known to have maybe arrived
UPDATE referral SET platform_sending = ? WHERE id = ?

-- name: first-join
-- (connection): where a feed read for the first time starts
SELECT min(joined_at) AS first_join FROM referral WHERE connection = ?

-- name: jobs-already-known
-- (connection, job_ids[]): jobs linked to a referral already (a job up for review is looked at again when it changes:
-- an agent may have typed the code meanwhile)
SELECT job_id FROM referral WHERE connection = ? AND job_id = ANY (?)

-- name: any-open-to-match
-- (connection, campaign_ids[]): is any referral of a phone-in campaign still without a job?
SELECT 1 AS found FROM referral
WHERE connection = ? AND job_id IS NULL AND campaign_id = ANY (?) AND state IN ('booked', 'failed') LIMIT 1

-- name: open-by-code
-- (connection, code)
SELECT id, campaign_id, state, CAST(extract(EPOCH FROM joined_at) AS DOUBLE PRECISION) AS joined_epoch
FROM referral WHERE connection = ? AND code = ? AND job_id IS NULL

-- name: normalise
-- (values[]): emails and phones as ServiceTitan has them, normalised by the functions of the referrals' columns
SELECT v, email_norm(v) AS e, phone_norm(v) AS p FROM unnest(CAST(? AS TEXT[])) AS v

-- name: open-by-email
-- (connection, normalised emails[]): the values themselves, so the planner weighs each against its statistics
SELECT id, campaign_id, state, CAST(extract(EPOCH FROM joined_at) AS DOUBLE PRECISION) AS joined_epoch
FROM referral WHERE connection = ? AND job_id IS NULL AND email_norm = ANY (CAST(? AS TEXT[]))

-- name: open-by-phone
-- (connection, normalised phones[])
SELECT id, campaign_id, state, CAST(extract(EPOCH FROM joined_at) AS DOUBLE PRECISION) AS joined_epoch
FROM referral WHERE connection = ? AND job_id IS NULL AND phone_norm = ANY (CAST(? AS TEXT[]))

-- name: job-linked
-- (connection, job_id)
SELECT 1 AS linked FROM referral WHERE connection = ? AND job_id = ?

-- name: set-matched-by
-- (how, referral_id)
UPDATE referral SET matched_by = ? WHERE id = ?

-- name: lock-phone-ins
-- (connection): one page's phone-in matching at a time per connection (an operator's poll can overlap a scheduled one)
SELECT pg_advisory_xact_lock(hashtext('phone-ins:' || ?))

-- name: reviewed
-- (connection, job_id): a job up for review that now has its one referral
DELETE FROM match_review WHERE connection = ? AND job_id = ?

-- name: review-match
-- (connection, job_id, candidates, matched_by)
INSERT INTO match_review (connection, job_id, candidates, matched_by) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING

-- name: store-event
-- (connection, user_assigned_id, type, payload): a ServiceTitan webhook event; no row when it came before
INSERT INTO servicetitan_event (connection, user_assigned_id, type, payload) VALUES (?, ?, ?, CAST(? AS JSONB))
ON CONFLICT (connection, user_assigned_id) DO NOTHING
RETURNING 1 AS stored

-- name: flag-by-event
-- (connection, job_ids[], connection, booking_ids[]): the referrals an event names, to be evaluated at the next cycle
UPDATE referral SET needs_evaluation = true
WHERE id IN (SELECT id FROM referral WHERE connection = ? AND job_id = ANY (?)
             UNION SELECT id FROM referral WHERE connection = ? AND booking_id = ANY (?))

-- name: prune-events
-- (retention_days): every connection's
DELETE FROM servicetitan_event WHERE received_at < now() - make_interval(days => ?)
