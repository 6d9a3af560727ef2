package io.referralbridge.outbox;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.referralbridge.db.Tx;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The task queue's guarantees, on the real bridge and its database: one referral whose calls keep failing does not
 * hold the others back; a failure retrying cannot change is a dead letter at once; a claim taken over records nothing; a restarted node
 * takes up its own claims at once.
 */
class TaskQueueTest {

    static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of(), started -> bridge = started);

    private static DataSource dataSource() {
        return bridge.main.getCamelContext().getRegistry().lookupByNameAndType("dataSource", DataSource.class);
    }

    @Test
    void oneReferralWhoseCallsKeepFailingHoldsTheOthersBackNoLonger() {
        // ServiceTitan answers 500 to every call about this one referral (a service failure, retried), and to no other
        bridge.sandbox.injectFault(Fault.status(null, "externalId=STUCK-1", 500, 1_000_000));
        assertEquals(202, bridge.sendWebhook("evt-stuck", referralEvent("STUCK-1", "stuck@example.com"))
                .statusCode());
        BridgeUnderTest.await("its first attempt failed", Duration.ofSeconds(10), () -> !bridge.query(
                "SELECT 1 FROM outbox o JOIN referral r ON r.id = o.referral_id WHERE r.code = 'STUCK-1' "
                        + "AND o.last_error IS NOT NULL").isEmpty());
        for (int i = 0; i < 20; i++) {
            assertEquals(202, bridge.sendWebhook("evt-bo-" + i, referralEvent("BO-" + i, "bo" + i + "@example.com"))
                    .statusCode());
        }
        BridgeUnderTest.await("20 referrals booked", Duration.ofSeconds(10), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'BO-%' AND state = 'booked'").size() == 20);
        bridge.awaitState("STUCK-1", "failed"); // its attempts spent: a dead letter, after the others were booked
        bridge.sandbox.clearFaults();
    }

    @Test
    void aPoisonedReferralIsADeadLetterWithItsReasonAndTheFiftyBehindItAreBooked() {
        // Stored before intake checked numbers: PostgreSQL keeps 1e1001 as 1,002 digits, more than Jackson reads back.
        bridge.execute("WITH r AS (INSERT INTO referral (code, campaign_id, first_name, email, payload, state) "
                + "VALUES ('POISON-1', '17', 'P', 'p@example.com', '{\"extra\": 1e1001}'::jsonb, 'received') "
                + "RETURNING id) INSERT INTO outbox (kind, referral_id) SELECT 'create_booking', id FROM r");
        for (int i = 0; i < 50; i++) {
            assertEquals(202, bridge.sendWebhook("evt-pz-" + i, referralEvent("PZ-" + i, "pz" + i + "@example.com"))
                    .statusCode());
        }
        BridgeUnderTest.await("50 referrals booked", Duration.ofSeconds(15), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'PZ-%' AND state = 'booked'").size() == 50);
        bridge.awaitState("POISON-1", "failed");
        Map<String, Object> dead = bridge.query("SELECT d.cause, d.attempts FROM dead_letter d JOIN referral r "
                + "ON r.id = d.referral_id WHERE r.code = 'POISON-1'").get(0);
        assertEquals(1, ((Number) dead.get("attempts")).intValue(), "not retried");
        assertTrue(dead.get("cause").toString().contains("unreadable payload"), dead.toString());
    }

    @Test
    void aFailureRetryingCannotChangeIsADeadLetterAtOnce() {
        bridge.sandbox.injectFault(Fault.status("POST", "/booking-provider/", 400, 1));
        assertEquals(202, bridge.sendWebhook("evt-dl-bad", referralEvent("DL-BAD", "bad@example.com")).statusCode());
        bridge.awaitState("DL-BAD", "failed");
        Map<String, Object> dead = bridge.query("SELECT d.cause, d.attempts FROM dead_letter d JOIN referral r "
                + "ON r.id = d.referral_id WHERE r.code = 'DL-BAD'").get(0);
        assertEquals(1, ((Number) dead.get("attempts")).intValue(), "not retried");
        assertTrue(dead.get("cause").toString().startsWith("HTTP 400"), dead.toString());
        for (int i = 0; i < 50; i++) {
            assertEquals(202, bridge.sendWebhook("evt-dl-" + i, referralEvent("DL-" + i, "dl" + i + "@example.com"))
                    .statusCode());
        }
        BridgeUnderTest.await("50 referrals booked", Duration.ofSeconds(15), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'DL-%' AND code <> 'DL-BAD' AND state = 'booked'")
                .size() == 50);
    }

    @Test
    void aClaimTakenOverRecordsNothingAndARestartedNodeTakesUpItsOwnClaims() throws Exception {
        assertEquals(202, bridge.sendWebhook("evt-fence", referralEvent("FENCE-1", "fence@example.com"))
                .statusCode());
        bridge.awaitState("FENCE-1", "booked"); // its own booking done: only the probe task below is in play
        long referralId = ((Number) bridge.referral("FENCE-1").get("id")).longValue();
        DataSource ds = dataSource();
        var routes = bridge.main.getCamelContext().getRouteController();
        routes.suspendRoute("platform-outbox"); // the two nodes below are the only workers of this task
        Tx.run(ds, tx -> tx.update("INSERT INTO outbox (kind, referral_id) VALUES ('notify_platform', ?)",
                referralId));
        Outbox nodeA = new Outbox(ds, 20, 120, "node-a");
        Outbox nodeB = new Outbox(ds, 20, 120, "node-b");

        OutboxTask a = nodeA.claim(TaskKind.NOTIFY_PLATFORM).get(0);
        assertTrue(nodeB.claim(TaskKind.NOTIFY_PLATFORM).isEmpty(), "claimed by node-a");
        Tx.run(ds, tx -> tx.update("UPDATE outbox SET claimed_until = now() - interval '1 second' WHERE id = ?",
                a.id())); // node-a's lease ran out (say, a long pause)
        OutboxTask b = nodeB.claim(TaskKind.NOTIFY_PLATFORM).get(0);
        assertNotEquals(a.claimToken(), b.claimToken());
        assertThrows(ClaimLostException.class, () -> nodeA.renew(a));
        assertThrows(ClaimLostException.class, () -> Tx.run(ds, tx -> {
            nodeA.complete(tx, a);
            return null;
        }));
        assertThrows(ClaimLostException.class, () -> nodeA.reschedule(a, 1000, "late"));

        // node-b crashes holding the task; restarted with the same id, it takes it up at once, not after the lease
        assertTrue(nodeA.claim(TaskKind.NOTIFY_PLATFORM).isEmpty());
        new Outbox(ds, 20, 120, "node-b").releaseOwnClaims();
        List<OutboxTask> again = nodeA.claim(TaskKind.NOTIFY_PLATFORM);
        assertEquals(1, again.size());
        Tx.run(ds, tx -> {
            nodeA.complete(tx, again.get(0));
            return null;
        });
        assertEquals("done", bridge.query("SELECT o.status FROM outbox o JOIN referral r ON r.id = o.referral_id "
                + "WHERE o.kind = 'notify_platform' AND r.code = 'FENCE-1'").get(0).get("status"));
        routes.resumeRoute("platform-outbox");
    }
}
