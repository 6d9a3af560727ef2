-- Named queries on the dead-letter channel.

-- name: insert
-- (route_id, outbox_id, referral_id, payload, cause, attempts)
INSERT INTO dead_letter (route_id, outbox_id, referral_id, payload, cause, attempts) VALUES (?, ?, ?, ?, ?, ?)
RETURNING id

-- name: find
-- (id)
SELECT id, route_id, outbox_id, referral_id, payload, cause, attempts, failed_at, replayed_at FROM dead_letter WHERE id = ?
FOR UPDATE

-- name: mark-replayed
-- (id)
UPDATE dead_letter SET replayed_at = now() WHERE id = ? AND replayed_at IS NULL
