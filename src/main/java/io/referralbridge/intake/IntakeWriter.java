package io.referralbridge.intake;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.referralbridge.db.Database;
import io.referralbridge.web.HttpProblem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit for the intake: webhooks that arrive while a transaction is under way are written together in the next
 * one, so under load one round trip and one commit carry many referrals. Each caller still returns only after the
 * commit that holds its referral. A batch never holds the same code or event id twice (the later one waits for the next
 * batch), so a batch means what the same webhooks one after another would. When a batch fails for any reason other
 * than an unreachable database, its webhooks are written again one per transaction: one bad row fails only its own.
 * A caller that cannot be served (stopping, or no commit in time) gets a 503, which the platform answers by delivering
 * again.
 */
public final class IntakeWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IntakeWriter.class);

    private record Pending(Referral referral, CompletableFuture<IntakeResult> result) {
    }

    private final Function<List<Referral>, List<IntakeResult>> store;
    private final int maxBatch;
    private final long waitMillis;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final List<Thread> writers = new ArrayList<>();
    private volatile boolean closing;

    /**
     * @param store     writes referrals in one transaction, results in the same order
     * @param writers   threads writing at once (each with its own connection from the pool)
     * @param maxBatch  most referrals in one transaction
     * @param waitMillis longest a caller waits for its commit before giving up (the platform then delivers again)
     */
    public IntakeWriter(Function<List<Referral>, List<IntakeResult>> store, int writers, int maxBatch,
                        long waitMillis) {
        this.store = store;
        this.maxBatch = maxBatch;
        this.waitMillis = waitMillis;
        for (int i = 0; i < writers; i++) {
            Thread t = new Thread(this::run, "intake-writer-" + i);
            t.setDaemon(true);
            t.start();
            this.writers.add(t);
        }
    }

    /** Stores the referral (or finds the one stored before); returns after the commit. */
    public IntakeResult write(Referral referral) {
        if (closing) {
            throw new HttpProblem(503, "unavailable", "The bridge is stopping; the webhook was not stored, deliver it "
                    + "again");
        }
        Pending p = new Pending(referral, new CompletableFuture<>());
        queue.add(p);
        try {
            return p.result().get(waitMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            // It may still commit: a later delivery is then answered 200 with the stored referral.
            throw new HttpProblem(503, "unavailable", "The webhook was not stored within " + waitMillis
                    + " ms; deliver it again");
        } catch (InterruptedException e) {
            // The request thread is being stopped; the commit may still happen, and a later delivery then gets a 200.
            Thread.currentThread().interrupt();
            throw new HttpProblem(503, "unavailable", "The webhook was not confirmed as stored; deliver it again");
        }
    }

    private void run() {
        List<Pending> carried = new ArrayList<>();
        while (true) {
            List<Pending> taken = new ArrayList<>(carried);
            carried.clear();
            try {
                if (taken.isEmpty()) {
                    Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                    if (first == null) {
                        if (closing) {
                            return;
                        }
                        continue;
                    }
                    taken.add(first);
                }
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(taken, maxBatch - taken.size());
            List<Pending> batch = new ArrayList<>(taken.size());
            Set<String> codes = new HashSet<>();
            Set<String> events = new HashSet<>();
            for (Pending p : taken) {
                Referral r = p.referral();
                if (codes.contains(r.code()) || events.contains(r.eventId())) {
                    carried.add(p);
                } else {
                    codes.add(r.code());
                    events.add(r.eventId());
                    batch.add(p);
                }
            }
            write(batch);
        }
    }

    private void write(List<Pending> batch) {
        List<IntakeResult> results;
        try {
            results = store.apply(batch.stream().map(Pending::referral).toList());
        } catch (RuntimeException e) {
            if (batch.size() == 1 || Database.isUnavailable(e)) {
                batch.forEach(p -> p.result().completeExceptionally(e));
            } else {
                LOG.warn("A batch of {} webhooks failed ({}); storing them one by one", batch.size(), e.toString());
                batch.forEach(p -> write(List.of(p)));
            }
            return;
        } catch (Error e) {
            batch.forEach(p -> p.result().completeExceptionally(e));
            LOG.error("Intake writer {} stopped: {}; webhooks are answered 503 until the bridge is restarted when no "
                    + "writer is left (the health checks say so)", Thread.currentThread().getName(), e.toString());
            throw e;
        }
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).result().complete(results.get(i));
        }
    }

    /** Writer threads still running: none left means no webhook can be stored until a restart. */
    public int writersAlive() {
        return (int) writers.stream().filter(Thread::isAlive).count();
    }

    /** Webhooks waiting for a transaction (the next batch). */
    public int waiting() {
        return queue.size();
    }

    public boolean isClosing() {
        return closing;
    }

    /** Writes what is queued, then stops; webhooks arriving meanwhile are refused (the platform delivers again). */
    @Override
    public void close() throws InterruptedException {
        closing = true;
        for (Thread t : writers) {
            t.join(TimeUnit.SECONDS.toMillis(30));
        }
        HttpProblem stopped = new HttpProblem(503, "unavailable", "The bridge stopped; the webhook was not stored, "
                + "deliver it again");
        for (Pending p; (p = queue.poll()) != null; ) {
            p.result().completeExceptionally(stopped);
        }
    }
}
