package io.referralbridge.outbox;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;

import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * At the production retry settings (1 s doubling to 60 s, 16 attempts): referrals whose own calls keep failing, sent
 * first into an idle queue, never hold back the referrals behind them; a failure of the whole service still holds the
 * queue, only the task at its head is tried, and no attempt is spent while it is held.
 */
class BackOffIsolationTest {

    static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of("bridge.retry.initial-delay-ms", "1000", "bridge.retry.max-delay-ms",
                "60000", "bridge.retry.max-redeliveries", "15", "bridge.outbox.poll-interval-ms", "1000"), started -> bridge = started);

    @org.junit.jupiter.api.AfterEach
    void serviceTitanWorksAgain() {
        bridge.sandbox.clearFaults(); // one test's failure leaves no outage behind for the next
    }

    @Test
    void fiveFailingReferralsAtTheHeadOfAnIdleQueueDoNotHoldBackTheOthers() {
        for (int i = 0; i < 5; i++) {
            bridge.sandbox.injectFault(Fault.status(null, "externalId=HEAD-" + i, 500, 1_000_000));
            assertEquals(202, bridge.sendWebhook("evt-head-" + i, referralEvent("HEAD-" + i, "h" + i + "@example.com"))
                    .statusCode());
        }
        BridgeUnderTest.await("the 5 failed once", Duration.ofSeconds(10), () -> bridge.query(
                "SELECT 1 FROM outbox o JOIN referral r ON r.id = o.referral_id WHERE r.code LIKE 'HEAD-%' "
                        + "AND o.last_error IS NOT NULL").size() == 5);
        for (int i = 0; i < 20; i++) {
            assertEquals(202, bridge.sendWebhook("evt-behind-" + i, referralEvent("BEHIND-" + i, "b" + i
                    + "@example.com")).statusCode());
        }
        BridgeUnderTest.await("the 20 behind them booked", Duration.ofSeconds(5), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'BEHIND-%' AND state = 'booked'").size() == 20);
        assertEquals(0, bridge.query("SELECT 1 FROM referral WHERE code LIKE 'HEAD-%' AND state = 'booked'").size());
        bridge.sandbox.clearFaults();
        BridgeUnderTest.await("the 5 booked once their calls work", Duration.ofSeconds(90), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'HEAD-%' AND state = 'booked'").size() == 5);
    }

    private static int tried() {
        return ((Number) bridge.query("SELECT count(*) AS n FROM outbox o JOIN referral r ON r.id = o.referral_id "
                + "WHERE r.code LIKE 'DOWN-%' AND o.last_error IS NOT NULL").get(0).get("n")).intValue();
    }

    @Test
    void anOutageHoldsTheQueueAndOnlyItsHeadSpendsAttempts() {
        bridge.sandbox.injectFault(Fault.status(null, "/booking-provider/", 503, 1_000_000));
        for (int i = 0; i < 10; i++) {
            assertEquals(202, bridge.sendWebhook("evt-down-" + i, referralEvent("DOWN-" + i, "d" + i + "@example.com"))
                    .statusCode());
        }
        BridgeUnderTest.await("the queue held", Duration.ofSeconds(10), () -> !bridge.query(
                "SELECT 1 FROM outbox_hold WHERE kind = 'create_booking' AND until > now()").isEmpty());
        // The outage began under a batch worked concurrently (bridge.outbox.concurrency): those tasks were tried once.
        int triedAtHold = tried();
        assertTrue(triedAtHold >= 1 && triedAtHold <= 8, "the first concurrent window: " + triedAtHold);
        // The outage goes on: the hold's probe (one task) fails again and again, and the queue stays held.
        BridgeUnderTest.await("the hold through four failures", Duration.ofSeconds(30), () -> !bridge.query(
                "SELECT 1 FROM outbox_hold WHERE kind = 'create_booking' AND failures >= 4").isEmpty());
        // Tasks in flight count their claim's attempt until the hold gives it back: only the others are read.
        Map<String, Object> spent = bridge.query("SELECT coalesce(sum(o.attempts) FILTER (WHERE o.claim_token IS NULL), 0)"
                + " AS attempts FROM outbox o JOIN referral r ON r.id = o.referral_id WHERE r.code LIKE 'DOWN-%'").get(0);
        assertEquals(triedAtHold, tried(), "while held, only the probe is tried, no other task");
        assertEquals(0, ((Number) spent.get("attempts")).intValue(), "a held queue spends no attempts: " + spent);
        bridge.sandbox.clearFaults();
        BridgeUnderTest.await("the backlog booked", Duration.ofSeconds(30), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'DOWN-%' AND state = 'booked'").size() == 10);
        java.util.List<String> created = bridge.sandbox.bookings().stream().map(b -> b.path("externalId").asText())
                .filter(c -> c.startsWith("DOWN-")).toList();
        assertEquals(10, created.size());
        for (int i = 0; i < created.size(); i++) {
            int arrival = Integer.parseInt(created.get(i).substring(5));
            assertTrue(Math.abs(arrival - i) <= 8, "oldest first, within the concurrent window: " + created);
        }
    }

}
