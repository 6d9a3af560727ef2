package io.referralbridge.outbox;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * New work is picked up at once: a trigger on the outbox notifies channel {@code outbox} with the kinds of the tasks a
 * transaction inserted (V8), on every node; this listener passes the notice on to the queues' workers, which otherwise
 * wait up to {@code bridge.outbox.poll-interval-ms} (the sweep that finds retries whose time has come and queues whose
 * hold has ended, and anything a lost connection made this node miss).
 * <p>
 * Hand-written on pgjdbc rather than camel-pgevent: that component needs a second PostgreSQL driver (pgjdbc-ng) with its
 * own connection settings, for one {@code LISTEN} and a loop.
 */
public final class WakeUp implements AutoCloseable {

    public static final String CHANNEL = "outbox";
    private static final Logger LOG = LoggerFactory.getLogger(WakeUp.class);

    private final Supplier<Connection> connections;
    private final long maxWaitMs;
    private final Object lock = new Object();
    // Notices received per kind, and what each queue's worker has seen: a notice that comes while a worker is busy
    // is not lost, it makes that worker's next wait return at once.
    private final Map<String, Long> received = new ConcurrentHashMap<>();
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private volatile boolean running;
    private volatile Connection listening;
    private Thread thread;

    public WakeUp(Supplier<Connection> connections, long maxWaitMs) {
        this.connections = connections;
        this.maxWaitMs = maxWaitMs;
    }

    public void start() {
        running = true;
        thread = new Thread(this::listen, "outbox-wake-up");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * A queue's worker waits here before it claims: until a task of its kind is inserted anywhere, or at most
     * {@code bridge.outbox.poll-interval-ms}.
     */
    public void await(String kind, String queue) throws InterruptedException {
        String worker = kind + "/" + queue;
        long deadline = System.currentTimeMillis() + maxWaitMs;
        synchronized (lock) {
            Long last = seen.get(worker);
            if (last == null) { // a worker's first claim is at once: what was pending when this node started
                seen.put(worker, received.getOrDefault(kind, 0L));
                return;
            }
            long left;
            while (running && received.getOrDefault(kind, 0L).equals(last)
                    && (left = deadline - System.currentTimeMillis()) > 0) {
                lock.wait(left);
            }
            seen.put(worker, received.getOrDefault(kind, 0L));
        }
    }

    /** Wakes the workers of {@code kind} (from a notice, or when a claim found a full batch and more may be due). */
    public void poke(String kind) {
        synchronized (lock) {
            received.merge(kind, 1L, Long::sum);
            lock.notifyAll();
        }
    }

    private void pokeAll() {
        synchronized (lock) {
            seen.keySet().forEach(worker -> received.merge(worker.substring(0, worker.indexOf('/')), 1L, Long::sum));
            lock.notifyAll();
        }
    }

    private void listen() {
        long backoffMs = 1000;
        boolean warned = false;
        while (running) {
            try (Connection c = connections.get(); Statement st = c.createStatement()) {
                st.execute("LISTEN " + CHANNEL);
                listening = c;
                if (warned) {
                    LOG.info("Listening for new tasks again");
                    warned = false;
                }
                backoffMs = 1000;
                pokeAll(); // what was inserted while this node was not listening
                PGConnection pg = c.unwrap(PGConnection.class);
                long lastCheck = System.currentTimeMillis();
                while (running) {
                    PGNotification[] notices = pg.getNotifications(1000);
                    if (notices != null) {
                        for (PGNotification n : notices) {
                            poke(n.getParameter());
                        }
                    }
                    if (System.currentTimeMillis() - lastCheck > 30_000) {
                        st.execute("SELECT 1"); // a silently dropped connection shows here
                        lastCheck = System.currentTimeMillis();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (!running) {
                    return;
                }
                if (!warned) {
                    LOG.warn("Not listening for new tasks ({}); they are picked up within {} ms meanwhile",
                            e.getMessage(), maxWaitMs);
                    warned = true;
                }
            } finally {
                listening = null;
            }
            sleep(backoffMs);
            backoffMs = Math.min(backoffMs * 2, 30_000);
        }
    }

    private void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /** Stops listening and lets every waiting worker go, so that a stop is not held up by a wait. */
    @Override
    public void close() {
        running = false;
        synchronized (lock) {
            lock.notifyAll();
        }
        Connection c = listening;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
        if (thread != null) {
            thread.interrupt();
        }
    }
}
