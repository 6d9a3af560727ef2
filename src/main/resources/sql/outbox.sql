-- Named queries on the outbox.

-- name: enqueue
-- (kind, referral_id)
INSERT INTO outbox (kind, referral_id) VALUES (?, ?) ON CONFLICT (kind, referral_id) DO NOTHING

-- name: claim
-- (kind, batch_size, lease_seconds, node): due tasks, oldest due first, each with its own claim token. One statement,
-- so the row lock is held while the claim is written; SKIP LOCKED lets several nodes share the table.
WITH c AS (
    SELECT id FROM outbox
    WHERE kind = ? AND status = 'pending' AND next_attempt_at <= now()
      AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY next_attempt_at, id
    LIMIT ?
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => ?), attempts = o.attempts + 1,
    claim_token = gen_random_uuid(), claimed_by = ?
FROM c WHERE o.id = c.id
RETURNING o.id, o.referral_id, o.attempts, o.claim_token

-- name: claim-in-connection
-- (kind, connection, batch_size, lease_seconds, node): as claim, for the referrals of one ServiceTitan connection
WITH c AS (
    SELECT o.id FROM outbox o JOIN referral r ON r.id = o.referral_id
    WHERE o.kind = ? AND r.connection = ? AND o.status = 'pending' AND o.next_attempt_at <= now()
      AND (o.claimed_until IS NULL OR o.claimed_until < now())
    ORDER BY o.next_attempt_at, o.id
    LIMIT ?
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => ?), attempts = o.attempts + 1,
    claim_token = gen_random_uuid(), claimed_by = ?
FROM c WHERE o.id = c.id
RETURNING o.id, o.referral_id, o.attempts, o.claim_token

-- name: renew
-- (lease_seconds, outbox_id, claim_token): right before the external call; 0 rows = the claim was taken over
UPDATE outbox SET claimed_until = now() + make_interval(secs => ?)
WHERE id = ? AND claim_token = ? AND status = 'pending'

-- name: complete
-- (outbox_id, claim_token)
UPDATE outbox SET status = 'done', done_at = now(), claimed_until = NULL, claim_token = NULL, last_error = NULL
WHERE id = ? AND claim_token = ? AND status = 'pending'

-- name: reschedule
-- (delay_ms, error, outbox_id, claim_token): the next attempt waits in the table; the task is free meanwhile
UPDATE outbox SET next_attempt_at = now() + make_interval(secs => ? / 1000.0), last_error = ?,
    claimed_until = NULL, claim_token = NULL, claimed_by = NULL
WHERE id = ? AND claim_token = ? AND status = 'pending'

-- name: mark-dead
-- (outbox_id, claim_token)
UPDATE outbox SET status = 'dead', claimed_until = NULL, claim_token = NULL WHERE id = ? AND claim_token = ?
  AND status = 'pending'

-- name: revive
-- (outbox_id): a replayed task is due at once
UPDATE outbox SET status = 'pending', claimed_until = NULL, claim_token = NULL, claimed_by = NULL, attempts = 0,
    next_attempt_at = now()
WHERE id = ? AND status = 'dead'

-- name: release
-- (ids[]): tasks a stopping process claimed and did not finish are due again at once
UPDATE outbox SET claimed_until = NULL, claim_token = NULL, claimed_by = NULL WHERE id = ANY(?) AND status = 'pending'

-- name: release-node
-- (node): at start, the claims this node held when it last stopped or crashed are free at once
UPDATE outbox SET claimed_until = NULL, claim_token = NULL, claimed_by = NULL
WHERE claimed_by = ? AND status = 'pending'

-- name: depth
SELECT kind, count(*) AS pending FROM outbox WHERE status = 'pending' GROUP BY kind
