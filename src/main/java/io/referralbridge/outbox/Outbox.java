package io.referralbridge.outbox;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task queue (a transactional outbox): every task the bridge owes an external system. Each task has its own state,
 * attempt count and next-attempt time in the table; a failed attempt waits there ({@link #reschedule}), not in a
 * sleeping thread, so one referral's back-off never holds back another's first attempt.
 * <p>
 * Claims are per task, with a lease and a token: {@code FOR UPDATE SKIP LOCKED} lets every node share the table; the
 * token fences the claim (renew, complete, reschedule and dead-letter check it), so a worker whose lease ran out and was
 * taken over records nothing. A task is renewed right before its external call, so the lease covers one attempt, not a
 * batch. Claims carry the node's id: a restarted node frees its previous claims at once, and a stopping one frees what
 * it still holds.
 * <p>
 * Hand-written rather than a job-queue library: the group-commit intake writes a referral and its booking task in one
 * statement, which a library with its own tables and API would split in two (docs/task-queue.md).
 */
public final class Outbox implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);

    private final DataSource ds;
    private final int batchSize;
    private final int leaseSeconds;
    private final String node;
    private final Queries sql = Queries.load("sql/outbox.sql");
    // Claimed by this process and not started yet: released when it stops, so that another node or a restart takes them
    // up at once. A started task is not: its call may still be under way.
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    private volatile java.util.function.Consumer<String> onFullBatch = kind -> { };
    private volatile boolean stopping;
    // When each started task's lease was last renewed by this process (System.nanoTime()).
    private final Map<Long, Long> renewedAt = new ConcurrentHashMap<>();

    public Outbox(DataSource ds, int batchSize, int leaseSeconds, String node) {
        this.ds = ds;
        this.batchSize = batchSize;
        this.leaseSeconds = leaseSeconds;
        this.node = node;
    }

    /** A claim that filled its batch may have left more due: its queue's worker then claims again without waiting. */
    public void onFullBatch(java.util.function.Consumer<String> wake) {
        this.onFullBatch = wake;
    }

    /** At start: what this node held when it last stopped or crashed is due again now, not when its lease ends. */
    public void releaseOwnClaims() {
        int released = Tx.run(ds, tx -> tx.update(sql.get("release-node"), node));
        if (released > 0) {
            LOG.info("Took up {} task(s) this node ({}) held when it last stopped", released, node);
        }
    }

    /** The queue of the default referral platform's notices (each platform's queue is named after it). */
    public static final String PLATFORM_QUEUE = "default";

    /** The default platform's tasks of this kind. */
    public List<OutboxTask> claim(TaskKind kind) {
        return claimForPlatform(kind, PLATFORM_QUEUE);
    }

    /** Tasks of one referral platform's referrals (their queue): one platform's outage holds up only its own notices. */
    public List<OutboxTask> claimForPlatform(TaskKind kind, String platform) {
        if (stopping) {
            return List.of();
        }
        return tasks(kind, platform, Tx.run(ds, tx -> tx.query(sql.get("claim-in-platform"), kind.id(), platform,
                kind.id(), platform, kind.id(), platform, batchSize, leaseSeconds, node)));
    }

    /** Tasks of one ServiceTitan connection's referrals (or enrolments), so that one tenant's trouble queues only its own work. */
    public List<OutboxTask> claim(TaskKind kind, String connection) {
        if (stopping) {
            return List.of();
        }
        String claim = kind.forEnrolment() ? "claim-enrolments" : "claim-in-connection";
        return tasks(kind, connection, Tx.run(ds, tx -> tx.query(sql.get(claim), kind.id(), connection,
                kind.id(), connection, kind.id(), connection, batchSize, leaseSeconds, node)));
    }

    private List<OutboxTask> tasks(TaskKind kind, String queue, List<Map<String, Object>> rows) {
        // UPDATE ... RETURNING does not keep the claim's order: sorted here, by due time, then arrival
        List<OutboxTask> tasks = rows.stream()
                .sorted(java.util.Comparator.comparingLong((Map<String, Object> row) ->
                                ((Number) row.get("due_us")).longValue())
                        .thenComparingLong(row -> ((Number) row.get("id")).longValue()))
                .map(row -> new OutboxTask(((Number) row.get("id")).longValue(), kind,
                        ((Number) row.get("subject_id")).longValue(), ((Number) row.get("attempts")).intValue(),
                        (UUID) row.get("claim_token"), queue))
                .toList();
        tasks.forEach(t -> held.add(t.id()));
        if (tasks.size() == batchSize) {
            onFullBatch.accept(kind.id());
        }
        return tasks;
    }

    /**
     * Right before a task's external call: a fresh lease for this attempt, or {@link ClaimLostException} when another
     * worker holds the task now (an external create with no idempotency key is then made by that worker only).
     */
    public void renew(OutboxTask task) {
        boolean queueHeld = Tx.run(ds, tx -> {
            if (tx.one(sql.get("held"), task.kind().id(), task.queue()) != null) {
                // The service failed meanwhile (an earlier task of the batch): leave this one, unattempted, for later.
                tx.update(sql.get("unclaim"), task.id(), task.claimToken());
                return true;
            }
            if (tx.update(sql.get("renew"), leaseSeconds, task.id(), task.claimToken()) == 0) {
                held.remove(task.id());
                renewedAt.remove(task.id());
                throw new ClaimLostException(task);
            }
            return false;
        });
        // Started now: its external call may be under way, so a stop does not free it (its lease or this node's
        // restart does), and no other worker can call meanwhile.
        held.remove(task.id());
        if (!queueHeld) {
            renewedAt.put(task.id(), System.nanoTime());
        }
        if (queueHeld) {
            throw new QueueHeldException(task);
        }
    }

    public void complete(Tx tx, OutboxTask task) throws java.sql.SQLException {
        fenced(tx.update(sql.get("complete"), task.id(), task.claimToken()), task);
        tx.update(sql.get("succeeded"), task.kind().id(), task.queue());
    }

    /**
     * Done without writing to the service (skipped, or nothing to tell): says nothing of whether its writes work, so
     * it neither ends a hold's streak nor counts as a completion against a write outage.
     */
    public void completeWithoutWrite(Tx tx, OutboxTask task) throws java.sql.SQLException {
        fenced(tx.update(sql.get("complete"), task.id(), task.claimToken()), task);
    }

    /**
     * The service failed (5xx, 429, timeout, I/O) and no task of the queue succeeded in the last 2 s: the queue is held,
     * and this task is due again when the hold ends, so the backlog resumes in order of arrival and no other task calls
     * a failing service meanwhile. False, and nothing written, while other tasks of the queue succeed: the failure is
     * this task's, which then waits its own back-off ({@link #reschedule}).
     */
    public boolean holdAndReschedule(OutboxTask task, Long serverDelayMs, long initialDelayMs, long maxDelayMs,
                                     String error) {
        return Tx.run(ds, tx -> {
            long first = serverDelayMs != null ? serverDelayMs : initialDelayMs;
            Map<String, Object> row = tx.one(sql.get("hold"), task.kind().id(), task.queue(), Math.min(first, maxDelayMs),
                    serverDelayMs == null ? null : (double) Math.min(serverDelayMs, maxDelayMs),
                    (double) initialDelayMs, (double) maxDelayMs);
            if (row == null) {
                return false;
            }
            fenced(tx.update(sql.get("reschedule-at"), error, task.id(), task.claimToken()), task);
            return true;
        });
    }

    /**
     * This task failed as if its service were down, though the service answers reads. True when another task of the
     * queue failed so too after the queue last completed one: the service's write path is down, not this task at fault.
     */
    public boolean failingWithOthers(OutboxTask task) {
        return Tx.run(ds, tx -> {
            Map<String, Object> before = tx.one(sql.get("failing-before"), task.kind().id(), task.queue());
            tx.update(sql.get("failing"), task.kind().id(), task.queue(), task.id());
            if (before == null || before.get("last_failed_task") == null
                    || ((Number) before.get("last_failed_task")).longValue() == task.id()) {
                return false;
            }
            return Boolean.TRUE.equals(before.get("since_done"));
        });
    }

    /** Whether the task has been failing for less than {@code hours} (since its first failure after it was armed). */
    public boolean youngerThan(OutboxTask task, int hours) {
        return Tx.run(ds, tx -> tx.one(sql.get("younger-than"), task.id(), hours) != null);
    }

    /** Whether a task of this one's queue succeeded in the last 2 s (the service works: a failure is the task's own). */
    public boolean succeededLately(OutboxTask task) {
        return Tx.run(ds, tx -> tx.one(sql.get("succeeded-lately"), task.kind().id(), task.queue()) != null);
    }

    /** The queue's service answered a probe: as good as a success of the queue. */
    public void serviceAnswered(OutboxTask task) {
        Tx.run(ds, tx -> tx.update(sql.get("service-answered"), task.kind().id(), task.queue()));
    }

    /** A failed attempt: the task is free and due again after the delay. */
    public void reschedule(OutboxTask task, long delayMs, String error) {
        Tx.run(ds, tx -> {
            fenced(tx.update(sql.get("reschedule"), delayMs, error, task.id(), task.claimToken()), task);
            return null;
        });
    }

    public void markDead(Tx tx, OutboxTask task) throws java.sql.SQLException {
        fenced(tx.update(sql.get("mark-dead"), task.id(), task.claimToken()), task);
    }

    private void fenced(int updated, OutboxTask task) {
        held.remove(task.id());
        renewedAt.remove(task.id());
        if (updated == 0) {
            throw new ClaimLostException(task);
        }
    }

    /**
     * The referral's platform notice, due after {@code delaySeconds}: a new task, the finished one again in a new round,
     * or a pending one with the new due time; a dead letter of an earlier round is settled. The workers are woken (an
     * update wakes no insert trigger).
     */
    public void armNotice(Tx tx, long referralId, long delaySeconds) throws java.sql.SQLException {
        Map<String, Object> row = tx.one(sql.get("arm-notice"), referralId, delaySeconds);
        tx.update(sql.get("settle-dead-letters"), row.get("id"));
        tx.query(sql.get("wake"), row.get("id"));
    }

    /** A claimed task that is not due yet after all (a hold): free again, due in {@code delaySeconds}. */
    public void defer(OutboxTask task, long delaySeconds) {
        Tx.run(ds, tx -> {
            fenced(tx.update(sql.get("defer"), delaySeconds, task.id(), task.claimToken()), task);
            return null;
        });
    }

    public boolean revive(Tx tx, long taskId) throws java.sql.SQLException {
        if (tx.update(sql.get("revive"), taskId) != 1) {
            return false;
        }
        tx.query(sql.get("wake"), taskId);
        return true;
    }

    /**
     * Before a further call of the same attempt (the create after the look-up): renewed if a quarter of the lease has
     * gone since the last renewal (slow answers, a new token), so the lease covers that call too.
     */
    public void renewIfAged(OutboxTask task) {
        Long at = renewedAt.get(task.id());
        if (at == null || System.nanoTime() - at > leaseSeconds * 250_000_000L) {
            renew(task);
        }
    }

    /** The bridge is stopping: no new claims, so no call starts that the stop would cut off. */
    public void stopClaiming() {
        stopping = true;
    }

    /** On stop, after the routes: the tasks this process claimed and did not start are due again at once. */
    @Override
    public void close() {
        if (held.isEmpty()) {
            return;
        }
        Long[] ids = held.toArray(Long[]::new);
        try {
            int released = Tx.run(ds, tx -> tx.update(sql.get("release"), ids, node));
            held.clear();
            LOG.info("Released {} unfinished task(s) for the next run", released);
        } catch (RuntimeException e) {
            LOG.warn("Could not release {} task(s); they are due again when this node restarts or their lease ends: "
                    + "{}", ids.length, e.toString());
        }
    }

    /** Pending tasks per kind. */
    public Map<String, Long> depth() {
        return Tx.run(ds, tx -> {
            Map<String, Long> out = new java.util.TreeMap<>();
            for (Map<String, Object> row : tx.query(sql.get("depth"))) {
                out.put((String) row.get("kind"), ((Number) row.get("pending")).longValue());
            }
            return out;
        });
    }
}
