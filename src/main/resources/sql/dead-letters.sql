-- Named queries on the dead-letter channel.

-- name: insert
-- (route_id, outbox_id, referral_id, enrolment_id, payload, cause, attempts): referral_id or enrolment_id, the other null
INSERT INTO dead_letter (route_id, outbox_id, referral_id, enrolment_id, payload, cause, attempts)
VALUES (?, ?, ?, ?, ?, ?, ?)
RETURNING id

-- name: find
-- (id)
SELECT id, route_id, outbox_id, referral_id, enrolment_id, payload, cause, attempts, failed_at, replayed_at FROM dead_letter WHERE id = ?
FOR UPDATE

-- name: mark-replayed
-- (id)
UPDATE dead_letter SET replayed_at = now() WHERE id = ? AND replayed_at IS NULL

-- name: notice-refused
-- (referral_id): the platform refused the notice, so it was not told
UPDATE referral SET platform_sending = NULL WHERE id = ?

-- name: enrolment
-- (id): what an enrolment's dead letter shows (no name, email or phone is kept)
SELECT id, connection, campaign_id, customer_id, job_id, backfill_id FROM enrolment WHERE id = ?

-- name: enrolment-failed
-- (reason, id)
UPDATE enrolment SET state = 'failed', reason = ?, done_at = now() WHERE id = ? AND state = 'pending'

-- name: enrolment-replayed
-- (id)
UPDATE enrolment SET state = 'pending', reason = NULL, done_at = NULL WHERE id = ? AND state = 'failed'
