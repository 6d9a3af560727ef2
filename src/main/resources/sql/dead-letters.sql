-- Named queries on the dead-letter channel.

-- name: insert
-- (route_id, outbox_id, referral_id, payload, cause, attempts)
INSERT INTO dead_letter (route_id, outbox_id, referral_id, payload, cause, attempts) VALUES (?, ?, ?, ?, ?, ?)
RETURNING id

-- name: list-open
-- (limit)
SELECT d.id, d.route_id, d.outbox_id, d.referral_id, r.code, d.cause, d.attempts, d.failed_at
FROM dead_letter d LEFT JOIN referral r ON r.id = d.referral_id
WHERE d.replayed_at IS NULL ORDER BY d.id LIMIT ?

-- name: find
-- (id)
SELECT id, route_id, outbox_id, referral_id, payload, cause, attempts, failed_at, replayed_at FROM dead_letter WHERE id = ?
FOR UPDATE

-- name: mark-replayed
-- (id)
UPDATE dead_letter SET replayed_at = now() WHERE id = ? AND replayed_at IS NULL
