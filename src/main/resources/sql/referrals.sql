-- Named queries on referrals. Parameters are positional (?), in the order the comment gives.

-- name: find-by-event
-- (event_id)
SELECT r.id, r.code, r.state, r.booking_id FROM webhook_event e JOIN referral r ON r.id = e.referral_id
WHERE e.event_id = ?

-- name: insert-referral
-- (code, campaign_id, connection, first_name, last_name, email, phone, payload)
INSERT INTO referral (code, campaign_id, connection, first_name, last_name, email, phone, payload, state)
VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS JSONB), 'received')
ON CONFLICT (code) DO NOTHING
RETURNING id, code, state, booking_id

-- name: find-by-code
-- (code)
SELECT id, code, state, booking_id FROM referral WHERE code = ?

-- name: insert-event
-- (event_id, referral_id)
INSERT INTO webhook_event (event_id, referral_id) VALUES (?, ?) ON CONFLICT (event_id) DO NOTHING

-- name: insert-history
-- (referral_id, from_state, to_state, cause)
INSERT INTO referral_history (referral_id, from_state, to_state, cause) VALUES (?, ?, ?, ?)

-- name: lock-state
-- (referral_id)
SELECT state, booking_id FROM referral WHERE id = ? FOR UPDATE

-- name: set-state
-- (to_state, booking_id, referral_id)
UPDATE referral SET state = ?, booking_id = coalesce(?, booking_id), updated_at = now() WHERE id = ?

-- name: load-for-booking
-- (referral_id)
SELECT id, code, campaign_id, connection, state, booking_id, payload::text AS payload FROM referral WHERE id = ?

-- name: load-view
-- (code)
SELECT id, code, campaign_id, state, booking_id, joined_at, updated_at FROM referral WHERE code = ?

-- name: history
-- (referral_id)
SELECT from_state, to_state, cause, at FROM referral_history WHERE referral_id = ? ORDER BY id
