package io.referralbridge.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.web.HttpProblem;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The intake's group commit, with the database replaced by functions that record what they were asked to write. */
class IntakeWriterTest {

    private final ExecutorService callers = Executors.newFixedThreadPool(16);
    private final List<List<String>> transactions = Collections.synchronizedList(new ArrayList<>());
    private final CountDownLatch firstCommit = new CountDownLatch(1);
    private IntakeWriter writer;

    @AfterEach
    void stop() throws Exception {
        firstCommit.countDown();
        callers.shutdownNow();
        if (writer != null) {
            writer.close();
        }
    }

    private static Referral referral(String eventId, String code) {
        return new Referral(eventId, code, "17", "Dana", null, "d@example.com", null, "{}", "default");
    }

    private static IntakeResult stored(Referral r) {
        return new IntakeResult(Math.abs(r.code().hashCode()), r.code(), "received", false);
    }

    /** One transaction per call; the first one waits for {@link #firstCommit} so that others queue up behind it. */
    private List<IntakeResult> store(List<Referral> rs) {
        transactions.add(rs.stream().map(Referral::code).toList());
        await(firstCommit);
        return rs.stream().map(IntakeWriterTest::stored).toList();
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private Future<IntakeResult> submit(Referral r) {
        return callers.submit(() -> writer.write(r));
    }

    /** Waits until the first transaction is open (and held by {@link #firstCommit}). */
    private void awaitFirstTransaction() {
        until("the first transaction", () -> !transactions.isEmpty());
    }

    /** Waits until this many webhooks wait for the next transaction. */
    private void awaitWaiting(int n) {
        until(n + " webhooks waiting", () -> writer.waiting() == n);
    }

    private static void until(String what, BooleanSupplier condition) {
        BridgeUnderTest.await(what, Duration.ofSeconds(5), condition);
    }

    @Test
    void webhooksArrivingDuringATransactionShareTheNextAndEachCallerGetsItsOwnResult() throws Exception {
        writer = new IntakeWriter(this::store, 1, 32, 5000);
        Future<IntakeResult> first = submit(referral("e0", "C0"));
        awaitFirstTransaction();
        List<Future<IntakeResult>> rest = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            rest.add(submit(referral("e" + i, "C" + i)));
        }
        awaitWaiting(10);
        firstCommit.countDown();

        assertEquals("C0", first.get(5, TimeUnit.SECONDS).code());
        for (int i = 1; i <= 10; i++) {
            assertEquals("C" + i, rest.get(i - 1).get(5, TimeUnit.SECONDS).code());
        }
        assertEquals(2, transactions.size(), transactions.toString());
        assertEquals(10, transactions.get(1).size(), transactions.toString());
    }

    @Test
    void aBatchNeverHoldsTheSameCodeOrEventIdTwice() throws Exception {
        writer = new IntakeWriter(this::store, 1, 32, 5000);
        Future<IntakeResult> first = submit(referral("e0", "C0"));
        awaitFirstTransaction();
        List<Future<IntakeResult>> rest = List.of(submit(referral("e1", "C1")), submit(referral("e1", "C1")),
                submit(referral("e2", "C1")), submit(referral("e1", "C9")), submit(referral("e3", "C3")));
        awaitWaiting(5);
        firstCommit.countDown();
        first.get(5, TimeUnit.SECONDS);
        for (Future<IntakeResult> f : rest) {
            f.get(5, TimeUnit.SECONDS);
        }

        assertEquals(6, transactions.stream().mapToInt(List::size).sum(), transactions.toString());
        for (List<String> t : transactions) {
            assertEquals(t.size(), t.stream().distinct().count(), "a code twice in " + t);
        }
        // e1/C1 (twice), e2/C1 and e1/C9 share a code or an event id: four transactions at least after the first
        assertTrue(transactions.size() >= 4, transactions.toString());
    }

    @Test
    void aFailedBatchIsWrittenAgainOneByOneSoOnlyTheBadWebhookFails() throws Exception {
        Function<List<Referral>, List<IntakeResult>> store = rs -> {
            List<String> codes = rs.stream().map(Referral::code).toList();
            transactions.add(codes);
            await(firstCommit);
            if (codes.contains("BAD")) {
                throw new IllegalArgumentException("value too long for BAD"); // the whole transaction rolled back
            }
            return rs.stream().map(IntakeWriterTest::stored).toList();
        };
        writer = new IntakeWriter(store, 1, 32, 5000);
        Future<IntakeResult> first = submit(referral("e0", "C0"));
        awaitFirstTransaction();
        Future<IntakeResult> good1 = submit(referral("e1", "C1"));
        Future<IntakeResult> bad = submit(referral("e2", "BAD"));
        Future<IntakeResult> good2 = submit(referral("e3", "C3"));
        awaitWaiting(3);
        firstCommit.countDown();

        first.get(5, TimeUnit.SECONDS);
        assertEquals("C1", good1.get(5, TimeUnit.SECONDS).code());
        assertEquals("C3", good2.get(5, TimeUnit.SECONDS).code());
        var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> bad.get(5, TimeUnit.SECONDS));
        assertTrue(failure.getCause().getMessage().contains("BAD"), failure.toString());
        // the held first one, the batch of three that failed, then each of the three alone (callers race: any order)
        assertEquals(5, transactions.size(), transactions.toString());
        assertEquals(Set.of("C1", "BAD", "C3"), Set.copyOf(transactions.get(1)), transactions.toString());
        assertEquals(Set.of(List.of("C1"), List.of("BAD"), List.of("C3")), Set.copyOf(transactions.subList(2, 5)),
                transactions.toString());
    }

    @Test
    void whenTheDatabaseIsUnreachableTheBatchFailsAtOnceWithoutRetries() throws Exception {
        SQLTransientConnectionException down = new SQLTransientConnectionException("bridge-db - Connection is not "
                + "available, request timed out after 5000ms");
        Function<List<Referral>, List<IntakeResult>> store = rs -> {
            transactions.add(rs.stream().map(Referral::code).toList());
            await(firstCommit);
            throw new IllegalStateException(down);
        };
        writer = new IntakeWriter(store, 1, 32, 5000);
        Future<IntakeResult> first = submit(referral("e0", "C0"));
        awaitFirstTransaction();
        List<Future<IntakeResult>> rest = List.of(submit(referral("e1", "C1")), submit(referral("e2", "C2")));
        awaitWaiting(2);
        firstCommit.countDown();

        for (Future<IntakeResult> f : List.of(first, rest.get(0), rest.get(1))) {
            var failure = assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
            assertSame(down, failure.getCause().getCause());
        }
        assertEquals(2, transactions.size(), "no webhook written again one by one: " + transactions);
        assertEquals(Set.of("C1", "C2"), Set.copyOf(transactions.get(1)), transactions.toString());
    }

    @Test
    void closingWritesWhatIsQueuedAndRefusesNewWebhooks() throws Exception {
        writer = new IntakeWriter(this::store, 1, 32, 5000);
        Future<IntakeResult> first = submit(referral("e0", "C0"));
        awaitFirstTransaction();
        Future<IntakeResult> queued = submit(referral("e1", "C1"));
        awaitWaiting(1);
        Thread closer = new Thread(() -> {
            try {
                writer.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        closer.start();
        until("the writer closing", writer::isClosing);
        var refused = assertThrows(HttpProblem.class, () -> writer.write(referral("e2", "C2")));
        assertEquals(503, refused.status());
        assertTrue(refused.getMessage().contains("stopping"), refused.getMessage());
        firstCommit.countDown();
        closer.join(5000);

        assertFalse(closer.isAlive());
        assertEquals("C0", first.get(5, TimeUnit.SECONDS).code());
        assertEquals("C1", queued.get(5, TimeUnit.SECONDS).code());
    }

    @Test
    void aWebhookNotCommittedInTimeFailsWithAClearMessage() {
        writer = new IntakeWriter(this::store, 1, 32, 200);
        var e = assertThrows(HttpProblem.class, () -> writer.write(referral("e0", "C0")));
        assertEquals(503, e.status());
        assertTrue(e.getMessage().contains("not stored within 200 ms"), e.getMessage());
    }

    @Test
    void aCallerInterruptedWhileWaitingIsToldToDeliverAgainAndTheWebhookIsStillStored() throws Exception {
        writer = new IntakeWriter(this::store, 1, 32, 10_000);
        Future<IntakeResult> first = submit(referral("e0", "C0")); // holds the first transaction open
        awaitFirstTransaction();
        AtomicReference<RuntimeException> answer = new AtomicReference<>();
        Thread caller = new Thread(() -> {
            try {
                writer.write(referral("e1", "C1"));
            } catch (RuntimeException e) {
                answer.set(e);
            }
        });
        caller.start();
        awaitWaiting(1);
        caller.interrupt();
        caller.join(5000);
        HttpProblem refused = assertInstanceOf(HttpProblem.class, answer.get());
        assertEquals(503, refused.status()); // not a 500: the platform delivers again
        firstCommit.countDown();
        assertEquals("C0", first.get(5, TimeUnit.SECONDS).code());
        until("the queued webhook still written", () -> transactions.stream().anyMatch(t -> t.contains("C1")));
    }

    @Test
    void aWriterKilledByAnErrorTakesTheProcessOutOfLivenessWhenNoneIsLeft() throws Exception {
        writer = new IntakeWriter(rs -> {
            throw new StackOverflowError("simulated");
        }, 1, 32, 2000);
        IntakeHealthCheckProbe health = new IntakeHealthCheckProbe(writer);
        assertEquals("UP", health.state());

        var e = assertThrows(IllegalStateException.class, () -> writer.write(referral("e0", "C0")));
        assertTrue(e.getCause() instanceof StackOverflowError, String.valueOf(e.getCause()));
        until("no writer left", () -> writer.writersAlive() == 0);
        assertEquals("DOWN", health.state());
        assertTrue(health.check.isLiveness() && health.check.isReadiness());
        assertTrue(health.message().contains("No intake writer is running"), health.message());
        // Nothing writes any more: a webhook waits for its commit in vain and is refused, so the platform retries.
        assertEquals(503, assertThrows(HttpProblem.class, () -> writer.write(referral("e1", "C1"))).status());
    }

    /** The health check the bridge registers, asked directly. */
    private record IntakeHealthCheckProbe(io.referralbridge.ops.IntakeHealthCheck check) {
        IntakeHealthCheckProbe(IntakeWriter writer) {
            this(new io.referralbridge.ops.IntakeHealthCheck(writer::writersAlive, 1));
        }

        String state() {
            return check.call().getState().name();
        }

        String message() {
            return check.call().getMessage().orElse("");
        }
    }
}
