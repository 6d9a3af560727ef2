-- Named queries on referrals. Parameters are positional (?), in the order the comment gives.

-- name: accept
-- (event_ids[], codes[], campaign_ids[], connections[], first_names[], last_names[], emails[], phones[], payloads[],
-- platforms[], task kind) One statement for one or more new webhooks (the intake's group commit), no code or event id twice: each
-- referral with its event id, first history row and booking task; or the referral an earlier delivery of the same
-- event stored. One row per input, numbered n from 1; an input without a row has its code under another event id.
-- The SET LOCAL goes in the same round trip: PostgreSQL would otherwise plan the statement again at every execution (a
-- custom plan per batch costs more than writing a batch of a few referrals); its generic plan is as good (key look-ups).
SET LOCAL plan_cache_mode = force_generic_plan;
WITH input AS (
    SELECT * FROM unnest(CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]),
                         CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]), CAST(? AS TEXT[]))
        WITH ORDINALITY AS i (event_id, code, campaign_id, connection, first_name, last_name, email, phone, payload,
                              platform, n)
), seen AS (
    -- LIMIT 1 keeps this a look-up per input: a plain join may hash the whole webhook_event table.
    SELECT i.n, r.id, r.code, r.state FROM input i CROSS JOIN LATERAL (
        SELECT r.id, r.code, r.state FROM webhook_event e JOIN referral r ON r.id = e.referral_id
        WHERE e.event_id = i.event_id LIMIT 1) r
), created AS (
    INSERT INTO referral (code, campaign_id, connection, first_name, last_name, email, phone, payload, state, platform)
    SELECT code, campaign_id, connection, first_name, last_name, email, phone, CAST(payload AS JSONB), 'received',
           platform
    FROM input i WHERE NOT EXISTS (SELECT 1 FROM seen s WHERE s.n = i.n) ORDER BY i.n
    ON CONFLICT (code) DO NOTHING
    RETURNING id, code, state
), arrived AS (
    SELECT i.n, i.event_id, c.id, c.code, c.state FROM created c JOIN input i ON i.code = c.code
), event AS (
    INSERT INTO webhook_event (event_id, referral_id) SELECT event_id, id FROM arrived ON CONFLICT (event_id) DO NOTHING
), history AS (
    INSERT INTO referral_history (referral_id, from_state, to_state, cause)
    SELECT id, NULL, 'received', 'webhook ' || event_id FROM arrived
), task AS (
    INSERT INTO outbox (kind, referral_id) SELECT ?, id FROM arrived
)
SELECT n, id, code, state, true AS created FROM arrived
UNION ALL
SELECT n, id, code, state, false AS created FROM seen

-- name: open-in-other-connections
-- (configured connection names[]): referrals still in progress whose connection is no longer configured
SELECT connection, count(*) AS open FROM referral
WHERE connection <> ALL (?) AND state NOT IN ('platform_notified', 'not_qualified')
GROUP BY connection ORDER BY connection

-- name: notices-of-other-platforms
-- (configured platform names[]): notices waiting for a referral platform that is no longer configured
SELECT r.platform, count(*) AS pending FROM outbox o JOIN referral r ON r.id = o.referral_id
WHERE o.kind = 'notify_platform' AND o.status = 'pending' AND r.platform <> ALL (?)
GROUP BY r.platform ORDER BY r.platform

-- name: find-by-code
-- (code)
SELECT id, code, state, booking_id, platform FROM referral WHERE code = ?

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
SELECT id, code, campaign_id, connection, platform, state, booking_id, payload::text AS payload FROM referral
WHERE id = ?

-- name: history
-- (referral_id)
SELECT from_state, to_state, cause, at FROM referral_history WHERE referral_id = ? ORDER BY id

-- name: set-customer
-- (customer_id, referral_id): the ServiceTitan customer the referred person already was
UPDATE referral SET customer_id = ? WHERE id = ?

-- name: customer-of
-- (referral_id)
SELECT customer_id FROM referral WHERE id = ?

-- name: job-of
-- (referral_id)
SELECT job_id FROM referral WHERE id = ?

-- name: owe-referrer-write
-- (referral_id, campaign_ids[]): a referral with a job whose campaign writes referrer data to ServiceTitan: one task,
-- ever (a later job change does not write again)
INSERT INTO outbox (kind, referral_id)
SELECT 'write_referrer', id FROM referral WHERE id = ? AND job_id IS NOT NULL AND campaign_id = ANY (?)
ON CONFLICT (kind, referral_id) DO NOTHING
