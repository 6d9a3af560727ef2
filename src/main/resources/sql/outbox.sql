-- Named queries on the outbox.

-- name: enqueue
-- (kind, referral_id)
INSERT INTO outbox (kind, referral_id) VALUES (?, ?) ON CONFLICT (kind, referral_id) DO NOTHING

-- name: claim
-- (kind, batch_size, lease_seconds): one statement, so the row lock is held while the lease is written;
-- SKIP LOCKED lets several consumers share the table without waiting on each other.
WITH c AS (
    SELECT id FROM outbox
    WHERE kind = ? AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())
    ORDER BY id
    LIMIT ?
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => ?), attempts = o.attempts + 1
FROM c WHERE o.id = c.id
RETURNING o.id, o.referral_id, o.attempts

-- name: claim-in-connection
-- (kind, connection, batch_size, lease_seconds): as claim, for the referrals of one ServiceTitan connection
WITH c AS (
    SELECT o.id FROM outbox o JOIN referral r ON r.id = o.referral_id
    WHERE o.kind = ? AND r.connection = ? AND o.status = 'pending'
      AND (o.claimed_until IS NULL OR o.claimed_until < now())
    ORDER BY o.id
    LIMIT ?
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => ?), attempts = o.attempts + 1
FROM c WHERE o.id = c.id
RETURNING o.id, o.referral_id, o.attempts

-- name: complete
-- (outbox_id)
UPDATE outbox SET status = 'done', done_at = now(), claimed_until = NULL WHERE id = ? AND status = 'pending'

-- name: mark-dead
-- (outbox_id)
UPDATE outbox SET status = 'dead', claimed_until = NULL WHERE id = ? AND status = 'pending'

-- name: revive
-- (outbox_id): a replayed task is due at once
UPDATE outbox SET status = 'pending', claimed_until = NULL, attempts = 0 WHERE id = ? AND status = 'dead'

-- name: release
-- (ids[]): tasks a stopping process claimed and did not finish are due again at once
UPDATE outbox SET claimed_until = NULL WHERE id = ANY(?) AND status = 'pending'

-- name: depth
SELECT kind, count(*) AS pending FROM outbox WHERE status = 'pending' GROUP BY kind
