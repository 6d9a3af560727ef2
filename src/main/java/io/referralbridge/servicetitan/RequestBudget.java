package io.referralbridge.servicetitan;

import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

import javax.sql.DataSource;

import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;

/**
 * The request budget of one ServiceTitan connection, shared by every node of the cluster: calls are spaced evenly at
 * the connection's rate across all nodes, so three nodes together send what one would, and steady load never meets a
 * 429. The budget is a row in PostgreSQL holding the time of the next free slot (GCRA, a token bucket of depth one);
 * a node reserves {@code slotsPerClaim} slots per statement and spends them in order, dropping any whose time passed
 * unused (a late slot sent now would bunch calls together). The pace is 92 % of the configured rate: network jitter
 * then never puts more than the rate into one second at ServiceTitan.
 * <p>
 * Hand-written rather than a rate-limiter library: the libraries keep their buckets per JVM (Resilience4j, Guava) or
 * need a store the bridge does not run (Bucket4j's JDBC back-end would fit, but takes a lock per call through its own
 * table and schema; this is one UPDATE on a table of the bridge's own migrations).
 */
public final class RequestBudget {

    static final double PACE = 0.92;

    private final DataSource ds;
    private final String connection;
    private final long intervalNanos;
    private final int slotsPerClaim;
    private final Queries sql = Queries.load("sql/request-budget.sql");
    // Reserved slots of this node, as System.nanoTime() values, oldest first.
    private final ArrayDeque<Long> slots = new ArrayDeque<>();
    private long claims;
    // More than 1 while ServiceTitan throttles (429): this node spaces its calls this many times wider, halving its pace at
    // each 429 and coming back by 2 % per successful call, so a tenant whose real limit is lower (other apps share it) is
    // followed instead of hammered.
    private double slowdown = 1;
    private long slowedAt = System.nanoTime() - 10_000_000_000L;
    private long localNext = System.nanoTime();
    private long pausedUntil = System.nanoTime();
    private final long maxWaitNanos;

    /** {@code maxWaitMs}: the longest a call waits for its slot (well inside a task's lease). */
    public RequestBudget(DataSource ds, String connection, double requestsPerSecond, int slotsPerClaim,
                         long maxWaitMs) {
        this.maxWaitNanos = maxWaitMs * 1_000_000L;
        if (requestsPerSecond <= 0 || slotsPerClaim < 1) {
            throw new IllegalArgumentException("a positive rate and at least one slot per claim");
        }
        this.ds = ds;
        this.connection = connection;
        this.intervalNanos = (long) (1_000_000_000L / (requestsPerSecond * PACE));
        this.slotsPerClaim = slotsPerClaim;
        Tx.run(ds, tx -> tx.update(sql.get("ensure"), connection));
    }

    /**
     * Blocks until this caller's slot has come. A caller that wakes more than a slot late (a busy machine) takes a new
     * slot rather than sending late (late calls sent together would crowd one second at ServiceTitan), a few times at
     * most. A slot further away than the longest wait is not waited for: {@link Busy}, and the task queue holds the
     * queue as for a 429, so no claim's lease runs out while its call waits for the budget.
     */
    public void acquire() throws Busy {
        for (int tries = 0; ; tries++) {
            long slot;
            synchronized (this) {
                long now = System.nanoTime();
                while (!slots.isEmpty() && slots.peekFirst() < now - intervalNanos / 2) {
                    slots.pollFirst(); // passed unused
                }
                if (slots.isEmpty()) {
                    claim();
                }
                slot = slots.pollFirst();
                if (slowdown > 1) { // this node's own, slower pace while ServiceTitan throttles
                    slot = Math.max(slot, localNext);
                    localNext = slot + (long) (intervalNanos * slowdown);
                }
                slot = Math.max(slot, pausedUntil);
            }
            long wait = slot - System.nanoTime();
            if (wait > maxWaitNanos) {
                throw new Busy(connection, wait);
            }
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            long late = System.nanoTime() - slot;
            // Late by more than a slot (at least 5 ms: less crowds nothing): a fresh slot, three times at most.
            if ((late <= Math.max(intervalNanos, 5_000_000L) || tries >= 3) && System.nanoTime() >= pausedUntil) {
                return;
            }
        }
    }

    private void claim() {
        double slice = slotsPerClaim * intervalNanos / 1e9;
        Map<String, Object> row = Tx.run(ds, tx -> tx.one(sql.get("take-slots"), slice, connection));
        long received = System.nanoTime();
        long endsAt = received + (long) (((Number) row.get("ends_in")).doubleValue() * 1e9);
        long first = endsAt - slotsPerClaim * intervalNanos;
        for (int i = 0; i < slotsPerClaim; i++) {
            slots.addLast(first + i * intervalNanos);
        }
        claims++;
    }

    /**
     * ServiceTitan answered 429 with Retry-After: no call of the connection, from any node, before that time (callers
     * already waiting for a slot wait for the pause too), and this node's own pace halved (at most once per second:
     * the 429s of one burst count once). The cluster's shared timeline is not widened: each node slows itself when
     * ServiceTitan tells it to.
     */
    public void pause(double seconds) {
        synchronized (this) {
            long now = System.nanoTime();
            if (now - slowedAt > 1_000_000_000L) {
                slowdown = Math.min(slowdown * 2, 64);
                slowedAt = now;
            }
            slots.clear();
            pausedUntil = Math.max(pausedUntil, now + (long) (seconds * 1e9));
        }
        if (seconds > 0) {
            Tx.run(ds, tx -> tx.update(sql.get("pause"), seconds, connection));
        }
    }

    /** A call went through: the pace comes back towards the configured rate, by 2 % per call. */
    public void succeeded() {
        if (slowdown > 1) {
            synchronized (this) {
                slowdown = Math.max(1, slowdown * 0.98);
            }
        }
    }

    /** The connection's next slot is further away than a caller may wait: its task waits in the queue instead. */
    public static final class Busy extends java.io.IOException {
        Busy(String connection, long waitNanos) {
            super("ServiceTitan request budget of connection " + connection + " is taken for the next "
                    + Math.round(waitNanos / 1e9) + " s (throttled or a large backlog); tried again later");
        }
    }

    /** Statements run so far (the budget's cost in the database). */
    public synchronized long claims() {
        return claims;
    }
}
