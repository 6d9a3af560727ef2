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
public final class Outbox {

    private final DataSource ds;
    private final int batchSize;
    private final int leaseSeconds;
    private final Queries sql = Queries.load("sql/outbox.sql");

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

    private static List<OutboxTask> tasks(String kind, List<Map<String, Object>> rows) {
        return rows.stream()
                .map(row -> new OutboxTask(((Number) row.get("id")).longValue(), kind,
                        ((Number) row.get("referral_id")).longValue(), ((Number) row.get("attempts")).intValue()))
                .toList();
    }

    public void complete(Tx tx, long taskId) throws java.sql.SQLException {
        tx.update(sql.get("complete"), taskId);
    }

    public void markDead(Tx tx, long taskId) throws java.sql.SQLException {
        tx.update(sql.get("mark-dead"), taskId);
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
