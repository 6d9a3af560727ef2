package io.referralbridge.failure;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What ServiceTitan does wrong in real life (429, 5xx, lost answers, revoked tokens), and what the bridge does then. */
class ServiceTitanFaultsTest {

    static final String BOOKINGS = "/booking-provider/"; // not the export feed the poller reads
    BridgeUnderTest bridge;

    @BeforeEach
    void start() {
        bridge = BridgeUnderTest.start();
    }

    @AfterEach
    void stop() {
        bridge.close();
    }

    private int bookingPosts() {
        return bridge.sandbox.requestCount("POST /crm/v2/tenant/{tenant}/booking-provider/{bp}/bookings");
    }

    @Test
    void a429IsRetriedAfterItsRetryAfter() {
        bridge.sandbox.injectFault(Fault.retryAfter("POST", BOOKINGS, 429, 2, 1));
        long start = System.nanoTime();
        assertEquals(202, bridge.sendWebhook("evt-429", referralEvent("RL-0001", "rl@example.com")).statusCode());
        bridge.awaitState("RL-0001", "booked");
        long waitedMs = (System.nanoTime() - start) / 1_000_000;

        assertTrue(waitedMs >= 2000, "waited only " + waitedMs + " ms; Retry-After said 2 s");
        assertEquals(2, bookingPosts());
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("RL-0001").size());
    }

    @Test
    void a503StormThatEndsStillBooksOnce() {
        bridge.sandbox.injectFault(Fault.status(null, "/crm/", 503, 3));
        assertEquals(202, bridge.sendWebhook("evt-503", referralEvent("STORM-0001", "s@example.com")).statusCode());
        bridge.awaitState("STORM-0001", "booked");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("STORM-0001").size());
        assertEquals(0, bridge.count("dead_letter"));
    }

    @Test
    void lostAnswersDoNotDuplicateTheBooking() {
        // ServiceTitan creates the booking but the answer never arrives; the retry finds it by externalId.
        bridge.sandbox.injectFault(new Fault("POST", BOOKINGS, 503, null, 1, 0, true));
        assertEquals(202, bridge.sendWebhook("evt-lost", referralEvent("LOST-0001", "l@example.com")).statusCode());
        bridge.awaitState("LOST-0001", "booked");
        assertEquals(1, bookingPosts());
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("LOST-0001").size());
        assertEquals(bridge.sandbox.bookingsWithExternalId("LOST-0001").get(0).path("id").asLong(),
                ((Number) bridge.referral("LOST-0001").get("booking_id")).longValue());
    }

    @Test
    void aStormLongerThanTheRetriesEndsInADeadLetterThatReplaysToOneBooking() {
        // The create answer is lost every time: ServiceTitan holds the booking, the bridge never hears of it.
        bridge.sandbox.injectFault(new Fault("POST", BOOKINGS, 503, null, 1, 0, true));
        // every look-up of this referral fails, while ServiceTitan answers others: its own failure, retried until its
        // attempts are spent (a failure of the whole service would hold the queue instead, spending no attempts)
        bridge.sandbox.injectFault(Fault.status("GET", "externalId=DEAD-0001", 503, 1000));
        assertEquals(202, bridge.sendWebhook("evt-dead", referralEvent("DEAD-0001", "d@example.com")).statusCode());
        bridge.awaitState("DEAD-0001", "failed");

        HttpResponse<String> list = bridge.get("/admin/dead-letters", bridge.admin());
        assertEquals(200, list.statusCode());
        JsonNode letters = bridge.json(list).path("deadLetters");
        assertEquals(1, letters.size(), list.body());
        JsonNode letter = letters.get(0);
        assertEquals("create-booking", letter.path("route_id").asText());
        assertEquals("DEAD-0001", letter.path("code").asText());
        assertEquals(5, letter.path("attempts").asInt(), "1 try + 4 redeliveries");
        assertTrue(letter.path("cause").asText().contains("HTTP 503"), letter.toString());
        String stored = (String) bridge.query("SELECT payload FROM dead_letter").get(0).get("payload");
        assertTrue(stored.contains("\"code\":\"DEAD-0001\"") && stored.contains("\"kind\":\"create_booking\""),
                stored);

        bridge.sandbox.clearFaults();
        HttpResponse<String> replay = bridge.post("/admin/dead-letters/" + letter.path("id").asLong() + "/replay",
                new byte[0], bridge.admin());
        assertEquals(200, replay.statusCode(), replay.body());
        bridge.awaitState("DEAD-0001", "booked");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("DEAD-0001").size(),
                "the booking made during the storm is found, not made again");
        assertEquals(0, bridge.json(bridge.get("/admin/dead-letters", bridge.admin())).path("deadLetters").size());

        HttpResponse<String> again = bridge.post("/admin/dead-letters/" + letter.path("id").asLong() + "/replay",
                new byte[0], bridge.admin());
        assertEquals(409, again.statusCode());
        assertEquals(404, bridge.post("/admin/dead-letters/999999/replay", new byte[0], bridge.admin()).statusCode());
    }

    @Test
    void aTimedOutCallIsRetried() {
        bridge.close();
        bridge = BridgeUnderTest.start(Map.of("servicetitan.response-timeout-ms", "500"));
        bridge.sandbox.injectFault(new Fault("GET", BOOKINGS, 0, null, 1, 2000, false));
        assertEquals(202, bridge.sendWebhook("evt-slow", referralEvent("SLOW-0001", "s@example.com")).statusCode());
        bridge.awaitState("SLOW-0001", "booked");
        // the look-up that timed out; a plain read of the bookings, to tell whether the service is down (it answers,
        // so the queue is not held); the look-up again on the retry
        assertEquals(3, bridge.sandbox.requestCount("GET /crm/v2/tenant/{tenant}/booking-provider/{bp}/bookings"),
                "the look-up that timed out, the probe, then its retry");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("SLOW-0001").size());
    }

    @Test
    void theClientStaysUnderItsRateSoSteadyLoadMeetsNo429() {
        bridge.close();
        bridge = BridgeUnderTest.start(Map.of("servicetitan.max-requests-per-second", "20"));
        bridge.sandbox.setRateLimit(25);
        for (int i = 0; i < 40; i++) {
            assertEquals(202, bridge.sendWebhook("evt-rate-" + i, referralEvent("RATE-%04d".formatted(i),
                    "r" + i + "@example.com")).statusCode());
        }
        BridgeUnderTest.await("40 bookings", Duration.ofSeconds(30), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'RATE-%' AND state = 'booked'").size() == 40);
        assertEquals(0, bridge.sandbox.requestCount("429 rate limited"));
    }

    @Test
    void aSandboxThatThrottlesHarderIsObeyedThroughRetryAfter() {
        bridge.close();
        // The bridge paces at its default 50/s; the sandbox allows 8/s and answers 429 with Retry-After past that.
        bridge = BridgeUnderTest.start(Map.of("bridge.poll.trigger", "trigger.repeatInterval=5000",
                "bridge.retry.max-redeliveries", "10"));
        bridge.sandbox.setRateLimit(8);
        for (int i = 0; i < 20; i++) {
            assertEquals(202, bridge.sendWebhook("evt-thr-" + i, referralEvent("THR-%04d".formatted(i),
                    "t" + i + "@example.com")).statusCode());
        }
        BridgeUnderTest.await("20 bookings", Duration.ofSeconds(40), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'THR-%' AND state = 'booked'").size() == 20);
        assertTrue(bridge.sandbox.requestCount("429 rate limited") > 0, "the sandbox did throttle");
        assertEquals(0, bridge.count("dead_letter"));
        for (int i = 0; i < 20; i++) {
            assertEquals(1, bridge.sandbox.bookingsWithExternalId("THR-%04d".formatted(i)).size());
        }
    }

    @Test
    void aRefusedBookingIsNotRetried() {
        bridge.sandbox.injectFault(Fault.status("POST", BOOKINGS, 400, 1));
        assertEquals(202, bridge.sendWebhook("evt-400", referralEvent("REF-0001", "r@example.com")).statusCode());
        bridge.awaitState("REF-0001", "failed");
        assertEquals(1, bookingPosts());
        Map<String, Object> letter = bridge.query("SELECT attempts, cause FROM dead_letter").get(0);
        assertEquals(1, ((Number) letter.get("attempts")).intValue());
        assertTrue(((String) letter.get("cause")).startsWith("HTTP 400"));
    }

    @Test
    void aRevokedTokenIsReplacedAndNoReferralIsLost() {
        assertEquals(202, bridge.sendWebhook("evt-tok-1", referralEvent("TOK-0001", "t1@example.com")).statusCode());
        bridge.awaitState("TOK-0001", "booked");
        bridge.sandbox.revokeTokens();
        assertEquals(202, bridge.sendWebhook("evt-tok-2", referralEvent("TOK-0002", "t2@example.com")).statusCode());
        bridge.awaitState("TOK-0002", "booked");

        assertEquals(2, bridge.sandbox.requestCount("POST /connect/token"), "one token, then one after the 401");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("TOK-0002").size());
        assertEquals(0, bridge.count("dead_letter"));
    }

    @Test
    void anOutageOfTheWritesAloneOutlastsTheRetriesAndLosesNothing() {
        // Booking creates fail for everyone while reads (the look-ups, the probe) work: no hold, each task backs off.
        bridge.sandbox.injectFault(Fault.status("POST", BOOKINGS, 503, 1_000_000));
        for (int i = 0; i < 10; i++) {
            assertEquals(202, bridge.sendWebhook("evt-wo-" + i, referralEvent("WO-%04d".formatted(i),
                    "w" + i + "@example.com")).statusCode());
        }
        BridgeUnderTest.await("every task past its 5 attempts", Duration.ofSeconds(60), () -> bridge.query(
                "SELECT 1 FROM outbox WHERE kind = 'create_booking' AND attempts >= 7").size() == 10);
        assertEquals(0, bridge.count("dead_letter"), "the service's fault: nothing dead-lettered");

        bridge.sandbox.clearFaults();
        BridgeUnderTest.await("the backlog booked", Duration.ofSeconds(30), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'WO-%' AND state = 'booked'").size() == 10);
        for (int i = 0; i < 10; i++) {
            assertEquals(1, bridge.sandbox.bookingsWithExternalId("WO-%04d".formatted(i)).size());
        }
        assertEquals(0, bridge.count("dead_letter"));
    }

    @Test
    void aSlowTokenEndpointIsAskedOnceAndReadinessDoesNotHang() throws Exception {
        assertEquals(202, bridge.sendWebhook("evt-slow-0", referralEvent("SLOW-0000", "s0@example.com")).statusCode());
        bridge.awaitState("SLOW-0000", "booked");
        int tokens = bridge.sandbox.requestCount("POST /connect/token");
        bridge.sandbox.revokeTokens();
        bridge.sandbox.injectFault(new Fault("POST", "/connect/token", 0, null, 1, 8_000, false)); // 8 s, then a token
        for (int i = 1; i <= 5; i++) {
            assertEquals(202, bridge.sendWebhook("evt-slow-" + i, referralEvent("SLOW-%04d".formatted(i),
                    "s" + i + "@example.com")).statusCode());
        }
        BridgeUnderTest.await("a new token asked for", Duration.ofSeconds(10),
                () -> bridge.sandbox.requestCount("POST /connect/token") > tokens);
        long t0 = System.nanoTime();
        HttpResponse<String> ready = bridge.management("/observe/health/ready");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(503, ready.statusCode(), ready.body());
        assertTrue(ms < 6_000, "readiness answered while the token endpoint was still silent (" + ms + " ms)");

        BridgeUnderTest.await("all booked", Duration.ofSeconds(40), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'SLOW-%' AND state = 'booked'").size() == 6);
        assertEquals(tokens + 1, bridge.sandbox.requestCount("POST /connect/token"),
                "the callers waiting for a token shared one request");
        assertEquals(0, bridge.count("dead_letter"));
    }

    @Test
    void aDeadLetterWhoseReferralMovedOnIsSettledNotBookedAgain() {
        bridge.sandbox.injectFault(Fault.status("POST", BOOKINGS, 400, 1));
        assertEquals(202, bridge.sendWebhook("evt-moved", referralEvent("MOVED-1", "m@example.com")).statusCode());
        bridge.awaitState("MOVED-1", "failed");
        long letter = ((Number) bridge.query("SELECT id FROM dead_letter").get(0).get("id")).longValue();
        // The office handled the person by phone; the operator qualifies the referral by hand.
        assertEquals(200, bridge.post("/api/referrals/MOVED-1/qualify", new byte[0], bridge.admin()).statusCode());

        HttpResponse<String> replay = bridge.post("/admin/dead-letters/" + letter + "/replay", new byte[0],
                bridge.admin());
        assertEquals(409, replay.statusCode(), replay.body());
        assertTrue(replay.body().contains("moved_on"), replay.body());
        bridge.awaitMore("bridge.poll.cycles", 2);
        assertEquals(0, bridge.sandbox.bookingsWithExternalId("MOVED-1").size(), "not booked behind its back");
        assertEquals(0, bridge.json(bridge.get("/admin/dead-letters", bridge.admin())).path("deadLetters").size(),
                "the dead letter is settled");
    }

    @Test
    void refusedCredentialsHoldTheQueueAndSpendNoAttemptsUntilTheyWorkAgain() {
        assertEquals(202, bridge.sendWebhook("evt-cred-0", referralEvent("CRED-0000", "c0@example.com")).statusCode());
        bridge.awaitState("CRED-0000", "booked");
        bridge.sandbox.refuseClient(true); // an admin regenerated the client secret in ServiceTitan
        for (int i = 1; i <= 10; i++) {
            assertEquals(202, bridge.sendWebhook("evt-cred-" + i, referralEvent("CRED-%04d".formatted(i),
                    "c" + i + "@example.com")).statusCode());
        }
        // Far more than the 5 attempts a task has here: the queue waits, as for an outage.
        BridgeUnderTest.await("the booking queue held through six refusals", Duration.ofSeconds(30), () -> !bridge
                .query("SELECT 1 FROM outbox_hold WHERE kind = 'create_booking' AND failures >= 6").isEmpty());
        assertEquals(0, bridge.count("dead_letter"), "nothing dead-lettered for the credentials");
        assertTrue(bridge.query("SELECT 1 FROM outbox WHERE kind = 'create_booking' AND attempts > 1").isEmpty(),
                "no task spent its attempts");
        assertEquals(1, bridge.sandbox.bookings().size());
        HttpResponse<String> poll = bridge.post("/admin/poll", new byte[0], bridge.admin());
        assertEquals(502, poll.statusCode(), "an operator's poll says who failed: " + poll.body());
        assertTrue(poll.body().contains("refused the client credentials"), poll.body());

        bridge.sandbox.refuseClient(false); // the secret in the bridge's environment works again
        BridgeUnderTest.await("the backlog booked", Duration.ofSeconds(30), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'CRED-%' AND state = 'booked'").size() == 11);
        assertEquals(0, bridge.count("dead_letter"));
        for (int i = 0; i <= 10; i++) {
            assertEquals(1, bridge.sandbox.bookingsWithExternalId("CRED-%04d".formatted(i)).size());
        }
    }

    @Test
    void anOutageShorterThanTheRetryWindowDrainsByItselfInOrderOfArrival() throws Exception {
        bridge.close();
        // Retry window here ~10 s (50 ms doubling to 1 s, 15 times); the outage lasts ~5 s.
        bridge = BridgeUnderTest.start(Map.of("bridge.retry.max-redeliveries", "15",
                "bridge.retry.max-delay-ms", "1000"));
        bridge.sandbox.injectFault(Fault.status(null, "/booking-provider/", 503, 1_000_000));
        for (int i = 0; i < 20; i++) {
            assertEquals(202, bridge.sendWebhook("evt-out-" + i, referralEvent("OUT-%04d".formatted(i),
                    "o" + i + "@example.com")).statusCode(), "webhooks are accepted during the outage");
        }
        // The outage lasts until the bridge has seen it several times over: its booking queue held, failed again.
        BridgeUnderTest.await("the booking queue held through six failures", Duration.ofSeconds(30), () -> !bridge
                .query("SELECT 1 FROM outbox_hold WHERE kind = 'create_booking' AND failures >= 6").isEmpty());
        assertEquals(0, bridge.query("SELECT 1 FROM referral WHERE code LIKE 'OUT-%' AND state = 'booked'").size());
        bridge.sandbox.clearFaults();

        BridgeUnderTest.await("backlog drained", Duration.ofSeconds(30), () -> bridge.query(
                "SELECT 1 FROM referral WHERE code LIKE 'OUT-%' AND state = 'booked'").size() == 20);
        assertEquals(0, bridge.count("dead_letter"), "no operator needed");
        java.util.List<String> created = bridge.sandbox.bookings().stream()
                .map(b -> b.path("externalId").asText()).filter(c -> c.startsWith("OUT-")).toList();
        java.util.List<String> arrived = java.util.stream.IntStream.range(0, 20).mapToObj("OUT-%04d"::formatted)
                .toList();
        assertEquals(new java.util.HashSet<>(arrived), new java.util.HashSet<>(created), "each once");
        assertEquals(arrived.size(), created.size(), "each once");
        // Oldest first: worked concurrently (bridge.outbox.concurrency, 8), none more than that many places off.
        for (int i = 0; i < created.size(); i++) {
            assertTrue(Math.abs(arrived.indexOf(created.get(i)) - i) <= 8, "in order of arrival: " + created);
        }
    }

    @Test
    void webhooksAreAcceptedWhileServiceTitanIsDown() {
        bridge.sandbox.injectFault(Fault.status(null, "/", 503, 1_000_000));
        for (int i = 0; i < 5; i++) {
            assertEquals(202, bridge.sendWebhook("evt-down-" + i, referralEvent("DOWN-000" + i, "d" + i
                    + "@example.com")).statusCode());
        }
        assertEquals(5, bridge.query("SELECT 1 FROM referral WHERE code LIKE 'DOWN-%'").size());
        bridge.sandbox.clearFaults();
        BridgeUnderTest.await("backlog replayed and booked", Duration.ofSeconds(40), () -> {
            for (Map<String, Object> dl : bridge.query("SELECT id FROM dead_letter WHERE replayed_at IS NULL")) {
                bridge.post("/admin/dead-letters/" + dl.get("id") + "/replay", new byte[0], bridge.admin());
            }
            return bridge.query("SELECT 1 FROM referral WHERE code LIKE 'DOWN-%' AND state = 'booked'").size() == 5;
        });
        for (int i = 0; i < 5; i++) {
            assertEquals(1, bridge.sandbox.bookingsWithExternalId("DOWN-000" + i).size());
        }
    }
}
