package io.referralbridge.outbox;

import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;

/**
 * The transactional outbox. Tasks are claimed with a lease ({@code FOR UPDATE SKIP LOCKED}), so a crashed process's
 * tasks are picked up again when their lease runs out, and several consumers never take the same task at once.
 */
public final class Outbox implements AutoCloseable {

    private final DataSource ds;
    private final int batchSize;
    private final int leaseSeconds;
    private final Queries sql = Queries.load("sql/outbox.sql");
    // Claimed by this process and not finished: released when it stops, so that a restart takes them up at once.
    private final java.util.Set<Long> held = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public Outbox(DataSource ds, int batchSize, int leaseSeconds) {
        this.ds = ds;
        this.batchSize = batchSize;
        this.leaseSeconds = leaseSeconds;
    }

    public List<OutboxTask> claim(String kind) {
        return tasks(kind, Tx.run(ds, tx -> tx.query(sql.get("claim"), kind, batchSize, leaseSeconds)));
    }

    /** Tasks of one ServiceTitan connection's referrals, so that one tenant's trouble queues only its own work. */
    public List<OutboxTask> claim(String kind, String connection) {
        return tasks(kind, Tx.run(ds, tx -> tx.query(sql.get("claim-in-connection"), kind, connection, batchSize,
                leaseSeconds)));
    }

    private List<OutboxTask> tasks(String kind, List<Map<String, Object>> rows) {
        List<OutboxTask> tasks = rows.stream()
                .map(row -> new OutboxTask(((Number) row.get("id")).longValue(), kind,
                        ((Number) row.get("referral_id")).longValue(), ((Number) row.get("attempts")).intValue()))
                .toList();
        tasks.forEach(t -> held.add(t.id()));
        return tasks;
    }

    public void complete(Tx tx, long taskId) throws java.sql.SQLException {
        tx.update(sql.get("complete"), taskId);
        held.remove(taskId);
    }

    public void markDead(Tx tx, long taskId) throws java.sql.SQLException {
        tx.update(sql.get("mark-dead"), taskId);
        held.remove(taskId);
    }

    /** On stop, after the routes: the tasks this process still holds (in back-off, or not yet started) are due again. */
    @Override
    public void close() {
        if (held.isEmpty()) {
            return;
        }
        Long[] ids = held.toArray(Long[]::new);
        try {
            int released = Tx.run(ds, tx -> tx.update(sql.get("release"), (Object) ids));
            held.clear();
            org.slf4j.LoggerFactory.getLogger(Outbox.class).info("Released {} unfinished task(s) for the next run",
                    released);
        } catch (RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(Outbox.class).warn("Could not release {} task(s); they are due again "
                    + "when their lease ends: {}", ids.length, e.toString());
        }
    }

    public boolean revive(Tx tx, long taskId) throws java.sql.SQLException {
        return tx.update(sql.get("revive"), taskId) == 1;
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
