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
 * unused (a late slot sent now would bunch calls together). The pace is 95 % of the configured rate: network jitter
 * then never puts more than the rate into one second at ServiceTitan.
 * <p>
 * Hand-written rather than a rate-limiter library: the libraries keep their buckets per JVM (Resilience4j, Guava) or
 * need a store the bridge does not run (Bucket4j's JDBC back-end would fit, but takes a lock per call through its own
 * table and schema; this is one UPDATE on a table of the bridge's own migrations).
 */
public final class RequestBudget {

    static final double PACE = 0.95;

    private final DataSource ds;
    private final String connection;
    private final long intervalNanos;
    private final int slotsPerClaim;
    private final Queries sql = Queries.load("sql/request-budget.sql");
    // Reserved slots of this node, as System.nanoTime() values, oldest first.
    private final ArrayDeque<Long> slots = new ArrayDeque<>();
    private long claims;
    // More than 1 while ServiceTitan throttles (429): the calls are spaced this many times wider, halving the pace at each
    // 429 and coming back by 2 % per successful call, so a tenant whose real limit is lower (other apps share it) is
    // followed instead of hammered.
    private double slowdown = 1;
    private long slowedAt = System.nanoTime() - 10_000_000_000L;

    public RequestBudget(DataSource ds, String connection, double requestsPerSecond, int slotsPerClaim) {
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
     * slot rather than sending late: late calls sent together would crowd one second at ServiceTitan.
     */
    public void acquire() {
        while (true) {
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
            }
            long wait = slot - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            if (System.nanoTime() - slot <= intervalNanos) {
                return;
            }
        }
    }

    private void claim() {
        long interval = (long) (intervalNanos * slowdown);
        double slice = slotsPerClaim * interval / 1e9;
        Map<String, Object> row = Tx.run(ds, tx -> tx.one(sql.get("take-slots"), slice, connection));
        long received = System.nanoTime();
        long endsAt = received + (long) (((Number) row.get("ends_in")).doubleValue() * 1e9);
        long first = endsAt - slotsPerClaim * interval;
        for (int i = 0; i < slotsPerClaim; i++) {
            slots.addLast(first + i * interval);
        }
        claims++;
    }

    /**
     * ServiceTitan answered 429 with Retry-After: no call of the connection, from any node, before that time, and this
     * node's pace halved. The slots this node holds are given up (they fall inside the pause).
     */
    public void pause(double seconds) {
        synchronized (this) {
            long now = System.nanoTime();
            if (now - slowedAt > 1_000_000_000L) { // the 429s of one burst halve the pace once
                slowdown = Math.min(slowdown * 2, 64);
                slowedAt = now;
            }
            slots.clear();
        }
        if (seconds > 0) {
            Tx.run(ds, tx -> tx.update(sql.get("pause"), seconds, connection));
        }
    }

    /** A call went through: the pace comes back towards the configured rate. */
    public void succeeded() {
        if (slowdown > 1) {
            synchronized (this) {
                slowdown = Math.max(1, slowdown * 0.98);
            }
        }
    }

    /** Statements run so far (the budget's cost in the database). */
    public synchronized long claims() {
        return claims;
    }
}
