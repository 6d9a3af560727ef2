package io.referralbridge.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.referralbridge.db.Tx;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import io.referralbridge.outbox.TaskKind;
import io.referralbridge.outbox.WakeUp;
import io.referralbridge.support.TestDatabase;

/**
 * The bridge's outbox beside db-scheduler (a maintained Java job queue on the same table-per-queue model), on the same
 * embedded PostgreSQL in the same run, one worker thread each, tasks that do nothing: what the queue itself costs to
 * enqueue, to drain and to pick up a new task. Run: bench/queues.sh. Figures in docs/task-queue.md.
 */
public final class QueueComparison {

    static final int TASKS = Integer.getInteger("bench.tasks", 5000);
    static final int PICKUPS = 50;

    public static void main(String[] args) throws Exception {
        String url = TestDatabase.newDatabase(); // the bridge's schema, migrated
        try (HikariDataSource ds = pool(url)) {
            io.referralbridge.db.Database.migrate(ds);
            try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
                st.execute("""
                        CREATE TABLE scheduled_tasks (
                          task_name text NOT NULL, task_instance text NOT NULL, task_data bytea,
                          execution_time timestamptz NOT NULL, picked boolean NOT NULL, picked_by text,
                          last_success timestamptz, last_failure timestamptz, consecutive_failures int,
                          last_heartbeat timestamptz, version bigint NOT NULL, priority smallint,
                          PRIMARY KEY (task_name, task_instance));
                        CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time);
                        CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
                        CREATE INDEX priority_execution_time_idx ON scheduled_tasks (priority desc, execution_time asc);
                        """);
                // referrals for the outbox's tasks to point at (its foreign key); not counted
                st.execute("INSERT INTO referral (code, campaign_id, first_name, email, payload, state) SELECT 'Q-' || g, "
                        + "'17', 'A', 'a@example.com', '{}'::jsonb, 'received' FROM generate_series(1, " + (TASKS * 2
                        + PICKUPS * 4) + ") g");
            }
            List<String[]> rows = new ArrayList<>();
            for (int round = 0; round < 2; round++) { // the first round warms both up; the second is reported
                rows.clear();
                outbox(ds, rows, round);
                dbScheduler(ds, rows, round);
            }
            Benchmark.print(rows);
        }
    }

    private static void outbox(HikariDataSource ds, List<String[]> rows, int round) throws Exception {
        Outbox outbox = new Outbox(ds, 20, 120, "bench");
        long firstReferral = 1 + (long) round * TASKS;
        TaskKind kind = TaskKind.NOTIFY_PLATFORM; // any kind: no bridge runs here
        long t0 = System.nanoTime();
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO outbox (kind, referral_id) VALUES (?, ?)")) {
            for (int i = 0; i < TASKS; i++) { // autocommit: one task per transaction, its wake-up notice included
                ps.setString(1, kind.id());
                ps.setLong(2, firstReferral + i);
                ps.executeUpdate();
            }
        }
        double enqueue = TASKS / ((System.nanoTime() - t0) / 1e9);
        t0 = System.nanoTime();
        int done = 0;
        for (List<OutboxTask> batch = outbox.claim(kind); !batch.isEmpty(); batch = outbox.claim(kind)) {
            for (OutboxTask task : batch) { // what a worker does around each external call
                outbox.renew(task);
                Tx.run(ds, tx -> {
                    outbox.complete(tx, task);
                    return null;
                });
                done++;
            }
        }
        double drain = done / ((System.nanoTime() - t0) / 1e9);
        rows.add(Benchmark.row("outbox: enqueue, one task per transaction (tasks/s)", "%.0f".formatted(enqueue)));
        rows.add(Benchmark.row("outbox: drain, one worker: claim 20, renew + complete each (tasks/s)",
                "%.0f".formatted(drain)));

        // pick-up of a task inserted by another connection (another node), with the wake-up and a 1 s sweep
        WakeUp wakeUp = new WakeUp(() -> {
            try {
                return java.sql.DriverManager.getConnection(ds.getJdbcUrl(), ds.getUsername(), ds.getPassword());
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        }, 1000);
        wakeUp.start();
        TaskKind pickKind = TaskKind.NOTIFY_PLATFORM;
        ConcurrentHashMap<Long, Long> doneAt = new ConcurrentHashMap<>();
        AtomicInteger running = new AtomicInteger(1);
        Thread worker = new Thread(() -> {
            while (running.get() == 1) {
                try {
                    wakeUp.await(pickKind.id(), Outbox.PLATFORM_QUEUE);
                    for (OutboxTask task : outbox.claim(pickKind)) {
                        doneAt.put(task.referralId(), System.nanoTime());
                        outbox.renew(task);
                        Tx.run(ds, tx -> {
                            outbox.complete(tx, task);
                            return null;
                        });
                    }
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        worker.start();
        Thread.sleep(1500); // listening
        List<Long> micros = new ArrayList<>();
        long base = 1 + 2L * TASKS + (long) round * PICKUPS;
        try (Connection c = ds.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO outbox (kind, referral_id) VALUES (?, ?)")) {
            for (int i = 0; i < PICKUPS; i++) {
                long ref = base + i;
                long start = System.nanoTime();
                ps.setString(1, pickKind.id());
                ps.setLong(2, ref);
                ps.executeUpdate();
                while (!doneAt.containsKey(ref)) {
                    Thread.sleep(0, 200_000);
                }
                micros.add((doneAt.get(ref) - start) / 1000);
                Thread.sleep(20);
            }
        }
        running.set(0);
        wakeUp.close();
        worker.join(5000);
        rows.add(Benchmark.row("outbox: insert -> picked up by another connection, p50 / p99 (ms), wake-up, sweep 1 s",
                Benchmark.pct(micros, 50) + " / " + Benchmark.pct(micros, 99)));
    }

    private static void dbScheduler(HikariDataSource ds, List<String[]> rows, int round) throws Exception {
        AtomicInteger executed = new AtomicInteger();
        ConcurrentHashMap<String, Long> doneAt = new ConcurrentHashMap<>();
        OneTimeTask<Void> task = Tasks.oneTime("bench-" + round).execute((instance, ctx) -> {
            doneAt.put(instance.getId(), System.nanoTime());
            executed.incrementAndGet();
        });
        SchedulerClient client = SchedulerClient.Builder.create(ds, task).build();
        long t0 = System.nanoTime();
        for (int i = 0; i < TASKS; i++) { // one task per transaction
            client.scheduleIfNotExists(task.instance("t" + i), Instant.now());
        }
        double enqueue = TASKS / ((System.nanoTime() - t0) / 1e9);
        Scheduler scheduler = Scheduler.create(ds, task).threads(1).pollingInterval(Duration.ofSeconds(1))
                .pollUsingLockAndFetch(0.5, 1.0).enableImmediateExecution().build();
        t0 = System.nanoTime();
        scheduler.start();
        while (executed.get() < TASKS) {
            Thread.sleep(1);
        }
        double drain = TASKS / ((System.nanoTime() - t0) / 1e9);
        rows.add(Benchmark.row("db-scheduler: enqueue, one task per transaction (tasks/s)", "%.0f".formatted(enqueue)));
        rows.add(Benchmark.row("db-scheduler: drain, one thread, lock-and-fetch (SKIP LOCKED) (tasks/s)",
                "%.0f".formatted(drain)));

        // pick-up of a task scheduled by another client (another node): found by polling, every 1 s here
        List<Long> micros = pickups("p", id -> client.scheduleIfNotExists(task.instance(id), Instant.now()), doneAt);
        rows.add(Benchmark.row("db-scheduler: scheduled by another client -> executed, p50 / p99 (ms), polling every 1 s",
                Benchmark.pct(micros, 50) + " / " + Benchmark.pct(micros, 99)));
        // the same scheduler instance schedules: its immediate execution skips the poll
        List<Long> local = pickups("l", id -> scheduler.scheduleIfNotExists(task.instance(id), Instant.now()),
                doneAt);
        rows.add(Benchmark.row("db-scheduler: scheduled by the same instance -> executed, p50 / p99 (ms), immediate "
                + "execution", Benchmark.pct(local, 50) + " / " + Benchmark.pct(local, 99)));
        scheduler.stop();
    }

    /** Schedules PICKUPS tasks one at a time; each one's time until a worker ran it (microseconds). */
    private static List<Long> pickups(String prefix, java.util.function.Consumer<String> schedule,
                                      ConcurrentHashMap<String, Long> doneAt) throws InterruptedException {
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < PICKUPS; i++) {
            String id = prefix + i;
            long start = System.nanoTime();
            schedule.accept(id);
            while (!doneAt.containsKey(id)) {
                Thread.sleep(0, 200_000);
            }
            micros.add((doneAt.get(id) - start) / 1000);
            Thread.sleep(20);
        }
        return micros;
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername("postgres");
        config.setPassword("postgres");
        config.setMaximumPoolSize(6);
        return new HikariDataSource(config);
    }

    private QueueComparison() {
    }
}
