package io.referralbridge.qualification;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ServiceTitan's v2 webhooks as the fast trigger, with the poll's schedule at ServiceTitan's advice (5 minutes): a
 * referral moves within seconds of the change, so the change came through the webhook. Events are verified, stored once
 * per userassignedid, and taken as a reason to look, never as a fact.
 */
class ServiceTitanWebhookTest {

    static final String KEY = "test-servicetitan-webhook-hmac-key-0123456789";
    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings(), b -> bridge = b);

    static Map<String, String> settings() {
        Map<String, String> p = new HashMap<>();
        p.put("bridge.poll.trigger", "trigger.repeatInterval=300000");
        p.put("servicetitan.webhook.hmac-keys", "old-key-being-rotated-out-0123456789, " + KEY);
        return p;
    }

    @BeforeEach
    void subscribe() {
        bridge.sandbox.subscribeWebhooks(url(), KEY);
        bridge.sandbox.webhookRetryDelays(100, 200, 400, 800);
    }

    @AfterEach
    void clear() {
        bridge.sandbox.clearFaults();
    }

    private static String url() {
        return "http://127.0.0.1:" + bridge.port + "/webhooks/servicetitan/default";
    }

    private static long bookedJob(String code) {
        assertEquals(202, bridge.sendWebhook("evt-" + code, referralEvent(code, code.toLowerCase() + "@example.com"))
                .statusCode());
        bridge.awaitState(code, "booked");
        long job = bridge.sandbox.convertBooking(bridge.bookingId(code)).path("id").asLong();
        bridge.awaitState(code, "job_created"); // within seconds: the booking's and job's events woke the poll
        return job;
    }

    private static java.net.http.HttpResponse<String> postEvent(String body, String signature) {
        Map<String, String> headers = new HashMap<>(Map.of("Content-Type", "application/json"));
        if (signature != null) {
            headers.put("X-ServiceTitan-Signature", signature);
        }
        return bridge.post("/webhooks/servicetitan/default", body.getBytes(StandardCharsets.UTF_8), headers);
    }

    private static String event(String userAssignedId, String type, long jobId, String status) {
        return """
                {"specversion": "1.0", "id": "%s", "type": "%s", "source": "https://api.servicetitan.io",
                 "time": "2026-11-30T08:00:00Z", "userassignedid": "%s",
                 "data": {"job": {"id": %d, "jobStatus": "%s"}, "tenantId": %s}}
                """.formatted(java.util.UUID.randomUUID(), type, userAssignedId, jobId, status,
                BridgeUnderTest.TENANT);
    }

    @Test
    void aCompletedJobIsToldWithinSecondsThoughTheScheduledPollIsMinutesAway() {
        long job = bookedJob("STW-1");
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("STW-1", "platform_notified");
        assertTrue(bridge.platform.isQualified("STW-1"));
        assertTrue(bridge.query("SELECT type FROM servicetitan_event WHERE type = 'tn.jpm.job-completed'").size() >= 1);
    }

    @Test
    void aForgedEventIsRefusedAndASignedOneThatTheFeedsDoNotConfirmChangesNothing() {
        long job = bookedJob("STW-2");
        String claim = event("forged-1", "tn.jpm.job-completed", job, "Completed");
        var forged = postEvent(claim, ServiceTitanEvents.sign("an-attacker-guessed-key-0123456789abcdef",
                claim.getBytes(StandardCharsets.UTF_8)));
        assertEquals(401, forged.statusCode());
        assertTrue(forged.body().contains("invalid_signature"), forged.body());
        assertEquals(401, postEvent(claim, null).statusCode(), "unsigned");
        assertEquals(0, bridge.query("SELECT 1 FROM servicetitan_event WHERE user_assigned_id = 'forged-1'").size());

        // Signed (a replay, or ServiceTitan ahead of its own feed): the poll looks, the feed says Scheduled.
        double cycles = bridge.counter("bridge.poll.cycles");
        var signed = postEvent(claim, ServiceTitanEvents.sign(KEY, claim.getBytes(StandardCharsets.UTF_8)));
        assertEquals(200, signed.statusCode(), signed.body());
        BridgeUnderTest.await("the poll woken", Duration.ofSeconds(20), () -> bridge.counter("bridge.poll.cycles")
                > cycles);
        assertEquals("job_created", bridge.referral("STW-2").get("state"));
        assertEquals(0, bridge.platform.deliveries("STW-2"));

        // The same event again (ServiceTitan's retry): stored once, answered 200.
        var again = postEvent(claim, ServiceTitanEvents.sign(KEY, claim.getBytes(StandardCharsets.UTF_8)));
        assertEquals(200, again.statusCode());
        assertTrue(again.body().contains("already received"), again.body());
        assertEquals(1, bridge.query("SELECT 1 FROM servicetitan_event WHERE user_assigned_id = 'forged-1'").size());

        var notJson = postEvent("{\"type\":", ServiceTitanEvents.sign(KEY, "{\"type\":".getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, notJson.statusCode());
        String otherTenant = event("tenant-1", "tn.jpm.job-updated", job, "Scheduled").replace(
                "\"tenantId\": " + BridgeUnderTest.TENANT, "\"tenantId\": 987654");
        var wrongTenant = postEvent(otherTenant, ServiceTitanEvents.sign(KEY,
                otherTenant.getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, wrongTenant.statusCode());
        assertTrue(wrongTenant.body().contains("wrong_tenant"), wrongTenant.body());
        String nul = event("a\\u0000b", "tn.jpm.job-updated", job, "Scheduled");
        var withNul = postEvent(nul, ServiceTitanEvents.sign(KEY, nul.getBytes(StandardCharsets.UTF_8)));
        assertEquals(400, withNul.statusCode(), withNul.body());
        assertTrue(withNul.body().contains("NUL"), withNul.body());
    }

    @Test
    void aSteadyStreamOfEventsWakesTheFeedsOncePerGapNotOnceAfterAnother() throws Exception {
        long job = bookedJob("STW-6");
        Thread.sleep(2_500); // the gap after the wake-ups that brought the job
        double cycles = bridge.counter("bridge.poll.cycles");
        long start = System.nanoTime();
        for (int i = 0; i < 40; i++) { // a busy tenant: an event every 100 ms for 4 s
            String e = event("stream-" + i, "tn.jpm.job-updated", job, "Scheduled");
            assertEquals(200, postEvent(e, ServiceTitanEvents.sign(KEY, e.getBytes(StandardCharsets.UTF_8)))
                    .statusCode());
            Thread.sleep(100);
        }
        Thread.sleep(2_500); // the last gap's cycle
        double seconds = (System.nanoTime() - start) / 1e9;
        double woken = bridge.counter("bridge.poll.cycles") - cycles;
        // At the default gap (2 s): one cycle per gap, and the last events still read.
        assertTrue(woken >= 2 && woken <= Math.ceil(seconds / 2) + 1, woken + " cycles in " + seconds + " s");
    }

    @Test
    void duplicatedAndReorderedEventsTellThePlatformOnce() {
        long job = bookedJob("STW-3");
        bridge.sandbox.webhookFault("duplicate", 2, 0);
        bridge.sandbox.webhookFault("reorder", 1, 0);
        bridge.sandbox.setJobStatus(job, "InProgress");
        bridge.sandbox.setJobStatus(job, "Completed"); // sent before the InProgress event, each twice
        bridge.awaitState("STW-3", "platform_notified");
        assertEquals(1, bridge.platform.deliveries("STW-3"));
    }

    @Test
    void aLostEventCostsOnlyUntilTheNextPoll() {
        long job = bookedJob("STW-4");
        int lost = bridge.sandbox.webhookCount("lost");
        bridge.sandbox.webhookFault("lose", 1, 0);
        bridge.sandbox.setJobStatus(job, "Completed");
        BridgeUnderTest.await("the event lost", Duration.ofSeconds(10), () -> bridge.sandbox.webhookCount("lost")
                > lost);
        assertEquals("job_created", bridge.referral("STW-4").get("state"), "nothing woke the poll");
        // The next poll (here an operator's, as the 5-minute tick would) reads the change from the feed.
        assertEquals(200, bridge.post("/admin/poll", new byte[0], bridge.admin()).statusCode());
        bridge.awaitState("STW-4", "platform_notified");
    }

    @Test
    void anEventRefusedWhileTheBridgeCannotStoreItIsDeliveredAgain() {
        long job = bookedJob("STW-5");
        // The first delivery answered 503 by the database being away is simulated by a closed door: a wrong URL.
        bridge.sandbox.subscribeWebhooks(url() + "-gone", KEY);
        bridge.sandbox.setJobStatus(job, "Completed");
        BridgeUnderTest.await("a delivery refused", Duration.ofSeconds(10), () -> bridge.sandbox.webhookCount(
                "answered 404") > 0);
        bridge.sandbox.subscribeWebhooks(url(), KEY); // the retry (same userassignedid) reaches the bridge
        bridge.awaitState("STW-5", "platform_notified");
    }
}
