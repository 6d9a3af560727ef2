-- Named queries on the outbox.

-- name: enqueue
-- (kind, referral_id)
INSERT INTO outbox (kind, referral_id) VALUES (?, ?) ON CONFLICT (kind, referral_id) DO NOTHING

-- name: claim-in-platform
-- (kind, platform, kind, platform, kind, platform, batch_size, lease_seconds, node): due tasks of one referral platform's
-- referrals, each with its own claim token, none while the queue is held, one alone while the queue's last calls failed
-- (it probes the service for the others). In order of due time, then arrival: a new task's due time is its arrival, a
-- task in back-off waits behind the tasks that arrived meanwhile, and a task whose queue was held keeps its place. The
-- order is the index's (outbox_due), so a claim reads only what it takes, however many finished tasks the table holds.
-- One statement, so the row lock is held while the claim is written; SKIP LOCKED lets several nodes share the table.
WITH c AS (
    SELECT o.id FROM outbox o JOIN referral r ON r.id = o.referral_id
    WHERE NOT EXISTS (SELECT 1 FROM outbox_hold h WHERE h.kind = ? AND h.queue = ? AND h.until > now())
      AND o.kind = ? AND r.platform = ? AND o.status = 'pending' AND o.next_attempt_at <= now()
      AND (o.claimed_until IS NULL OR o.claimed_until < now())
    ORDER BY o.next_attempt_at, o.id
    LIMIT CASE WHEN EXISTS (SELECT 1 FROM outbox_hold h WHERE h.kind = ? AND h.queue = ? AND h.failures > 0) THEN 1
          ELSE ? END
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => ?), attempts = o.attempts + 1,
    claim_token = gen_random_uuid(), claimed_by = ?
FROM c WHERE o.id = c.id
RETURNING o.id, o.referral_id AS subject_id, o.attempts, o.claim_token,
    CAST(extract(epoch FROM o.next_attempt_at) * 1000000 AS BIGINT) AS due_us

-- name: claim-in-connection
-- (kind, connection, kind, connection, kind, connection, batch_size, lease_seconds, node): as claim-in-platform, for
-- the referrals of one ServiceTitan connection (their queue)
WITH c AS (
    SELECT o.id FROM outbox o JOIN referral r ON r.id = o.referral_id
    WHERE NOT EXISTS (SELECT 1 FROM outbox_hold h WHERE h.kind = ? AND h.queue = ? AND h.until > now())
      AND o.kind = ? AND r.connection = ? AND o.status = 'pending' AND o.next_attempt_at <= now()
      AND (o.claimed_until IS NULL OR o.claimed_until < now())
    ORDER BY o.next_attempt_at, o.id
    LIMIT CASE WHEN EXISTS (SELECT 1 FROM outbox_hold h WHERE h.kind = ? AND h.queue = ? AND h.failures > 0) THEN 1
          ELSE ? END
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => ?), attempts = o.attempts + 1,
    claim_token = gen_random_uuid(), claimed_by = ?
FROM c WHERE o.id = c.id
RETURNING o.id, o.referral_id AS subject_id, o.attempts, o.claim_token,
    CAST(extract(epoch FROM o.next_attempt_at) * 1000000 AS BIGINT) AS due_us

-- name: claim-enrolments
-- (kind, connection, kind, connection, kind, connection, batch_size, lease_seconds, node): as claim-in-connection, for
-- the enrolments of one ServiceTitan connection
WITH c AS (
    SELECT o.id FROM outbox o JOIN enrolment e ON e.id = o.enrolment_id
    WHERE NOT EXISTS (SELECT 1 FROM outbox_hold h WHERE h.kind = ? AND h.queue = ? AND h.until > now())
      AND o.kind = ? AND e.connection = ? AND o.status = 'pending' AND o.next_attempt_at <= now()
      AND (o.claimed_until IS NULL OR o.claimed_until < now())
    ORDER BY o.next_attempt_at, o.id
    LIMIT CASE WHEN EXISTS (SELECT 1 FROM outbox_hold h WHERE h.kind = ? AND h.queue = ? AND h.failures > 0) THEN 1
          ELSE ? END
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE outbox o SET claimed_until = now() + make_interval(secs => ?), attempts = o.attempts + 1,
    claim_token = gen_random_uuid(), claimed_by = ?
FROM c WHERE o.id = c.id
RETURNING o.id, o.enrolment_id AS subject_id, o.attempts, o.claim_token,
    CAST(extract(epoch FROM o.next_attempt_at) * 1000000 AS BIGINT) AS due_us

-- name: renew
-- (lease_seconds, outbox_id, claim_token): right before the external call; 0 rows = the claim was taken over
UPDATE outbox SET claimed_until = now() + make_interval(secs => ?)
WHERE id = ? AND claim_token = ? AND status = 'pending'

-- name: held
-- (kind, queue)
SELECT 1 FROM outbox_hold WHERE kind = ? AND queue = ? AND until > now()

-- name: unclaim
-- (outbox_id, claim_token): claimed but not attempted (its queue is held): due as before, the attempt not counted
UPDATE outbox SET claimed_until = NULL, claim_token = NULL, claimed_by = NULL, attempts = attempts - 1
WHERE id = ? AND claim_token = ? AND status = 'pending'

-- name: complete
-- (outbox_id, claim_token)
UPDATE outbox SET status = 'done', done_at = now(), claimed_until = NULL, claim_token = NULL, last_error = NULL
WHERE id = ? AND claim_token = ? AND status = 'pending'

-- name: hold
-- (kind, queue, first_delay_ms, server_delay_ms or null, initial_delay_ms, max_delay_ms): the service failed and the
-- queue had no success in the last 2 s: hold the queue, twice as long with each consecutive failure (or as long as the
-- server said); returns when the hold ends, or no row when other tasks succeed (this task then waits alone). Failures of
-- tasks worked at once count once: a queue already held is not held longer by each of them.
INSERT INTO outbox_hold AS h (kind, queue, failures, until)
VALUES (?, ?, 1, now() + make_interval(secs => ? / 1000.0))
ON CONFLICT (kind, queue) DO UPDATE SET failures = h.failures + CASE WHEN h.until > now() THEN 0 ELSE 1 END,
    until = greatest(h.until, now() + make_interval(secs => coalesce(CAST(? AS DOUBLE PRECISION),
        least(CAST(? AS DOUBLE PRECISION) * power(2, least(h.failures, 30)), CAST(? AS DOUBLE PRECISION))) / 1000.0))
WHERE h.last_success_at IS NULL OR h.last_success_at < now() - interval '2 seconds'
RETURNING until

-- name: succeeded
-- (kind, queue): any success ends the streak; the time of the last success, written at most once a second, and at
-- once after a task's failure (which a completion since then shows to be the task's own)
UPDATE outbox_hold SET failures = 0, last_success_at = now(), last_done_at = clock_timestamp()
WHERE kind = ? AND queue = ? AND (failures > 0 OR last_success_at IS NULL OR last_success_at < now() - interval '1 second'
    OR last_done_at IS NULL OR last_done_at < last_failed_at)

-- name: failing-before
-- (kind, queue): the task of the queue's last service failure, and whether it came after the queue's last completion
SELECT last_failed_task, last_failed_at > coalesce(last_done_at, '-infinity') AS since_done
FROM outbox_hold WHERE kind = ? AND queue = ? FOR UPDATE

-- name: failing
-- (kind, queue, outbox_id): this task failed as if its service were down
INSERT INTO outbox_hold AS h (kind, queue, failures, until, last_failed_task, last_failed_at)
VALUES (?, ?, 0, now(), ?, clock_timestamp())
ON CONFLICT (kind, queue) DO UPDATE SET last_failed_task = excluded.last_failed_task, last_failed_at = clock_timestamp()

-- name: younger-than
-- (outbox_id, hours): failing for less than this long (since its first failure after it was armed or revived)
SELECT 1 FROM outbox WHERE id = ? AND coalesce(failing_since, now()) > now() - make_interval(hours => ?)

-- name: succeeded-lately
-- (kind, queue)
SELECT 1 FROM outbox_hold WHERE kind = ? AND queue = ? AND last_success_at >= now() - interval '2 seconds'

-- name: service-answered
-- (kind, queue): a probe of the service answered: as good as a success of the queue
INSERT INTO outbox_hold AS h (kind, queue, failures, until, last_success_at) VALUES (?, ?, 0, now(), now())
ON CONFLICT (kind, queue) DO UPDATE SET failures = 0, last_success_at = now()

-- name: reschedule-at
-- (error, outbox_id, claim_token): free again, in its place in the queue: due when the queue's hold ends. The service
-- was down, not this task at fault: the attempt is not counted, so an outage of any length spends no task's attempts
UPDATE outbox SET last_error = ?, claimed_until = NULL, claim_token = NULL, claimed_by = NULL,
    attempts = greatest(attempts - 1, 0)
WHERE id = ? AND claim_token = ? AND status = 'pending'

-- name: reschedule
-- (delay_ms, error, outbox_id, claim_token): the next attempt waits in the table; the task is free meanwhile
UPDATE outbox SET next_attempt_at = now() + make_interval(secs => ? / 1000.0), last_error = ?,
    failing_since = coalesce(failing_since, now()),
    claimed_until = NULL, claim_token = NULL, claimed_by = NULL
WHERE id = ? AND claim_token = ? AND status = 'pending'

-- name: mark-dead
-- (outbox_id, claim_token)
UPDATE outbox SET status = 'dead', claimed_until = NULL, claim_token = NULL WHERE id = ? AND claim_token = ?
  AND status = 'pending'

-- name: revive
-- (outbox_id): a replayed task is due at once
UPDATE outbox SET status = 'pending', claimed_until = NULL, claim_token = NULL, claimed_by = NULL, attempts = 0,
    next_attempt_at = now(), failing_since = NULL
WHERE id = ? AND status = 'dead'

-- name: wake
-- (outbox_id): its queue's workers, on every node, look at once (a replay is an update: the insert trigger is silent)
SELECT count(pg_notify('outbox', kind)) AS woken FROM outbox WHERE id = ?

-- name: release
-- (ids[], node): tasks a stopping process claimed and did not start are due again at once
UPDATE outbox SET claimed_until = NULL, claim_token = NULL, claimed_by = NULL, attempts = greatest(attempts - 1, 0)
WHERE id = ANY(?) AND claimed_by = ? AND status = 'pending'

-- name: release-node
-- (node): at start, the claims this node held when it last stopped or crashed are free at once
UPDATE outbox SET claimed_until = NULL, claim_token = NULL, claimed_by = NULL
WHERE claimed_by = ? AND status = 'pending'

-- name: depth
SELECT kind, count(*) AS pending FROM outbox WHERE status = 'pending' GROUP BY kind

-- name: arm-notice
-- (referral_id, delay_seconds): the referral's platform notice, due after the delay (a hold): a new task, or the
-- finished one again in a new round; a pending one just takes the new due time
INSERT INTO outbox (kind, referral_id, next_attempt_at) VALUES ('notify_platform', ?, now() + make_interval(secs => ?))
ON CONFLICT (kind, referral_id) DO UPDATE SET
    round = CASE WHEN outbox.status = 'pending' THEN outbox.round ELSE outbox.round + 1 END,
    attempts = CASE WHEN outbox.status = 'pending' THEN outbox.attempts ELSE 0 END,
    last_error = CASE WHEN outbox.status = 'pending' THEN outbox.last_error END,
    failing_since = CASE WHEN outbox.status = 'pending' THEN outbox.failing_since END,
    status = 'pending', done_at = NULL, next_attempt_at = excluded.next_attempt_at
RETURNING id

-- name: settle-dead-letters
-- (outbox_id): a notice armed again is pending in a new round, so its earlier dead letters are settled (shown as
-- replayed): a replay would find nothing to do, and the new round is dead-lettered afresh if it fails for good
UPDATE dead_letter SET replayed_at = now() WHERE outbox_id = ? AND replayed_at IS NULL

-- name: defer
-- (delay_seconds, outbox_id, claim_token): claimed too early (the campaign's hold has not passed): due later, free
-- again, the attempt not counted
UPDATE outbox SET next_attempt_at = now() + make_interval(secs => ?), claimed_until = NULL, claim_token = NULL,
    claimed_by = NULL, attempts = greatest(attempts - 1, 0)
WHERE id = ? AND claim_token = ? AND status = 'pending'
