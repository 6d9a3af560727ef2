package io.referralbridge.qualification;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Webhook -> booking -> ServiceTitan work (the sandbox converts bookings, moves job statuses, sets invoices) -> the
 * right referrals qualify, and the referral platform sandbox hears of each exactly once.
 */
class QualificationTest {

    BridgeUnderTest bridge;

    @BeforeEach
    void start() {
        bridge = BridgeUnderTest.start();
    }

    @AfterEach
    void stop() {
        bridge.close();
    }

    private long bookAndConvert(String code, int campaign) {
        assertEquals(202, bridge.sendWebhook("evt-" + code, referralEvent(code, code.toLowerCase() + "@example.com",
                campaign)).statusCode());
        bridge.awaitState(code, "booked");
        return bridge.sandbox.convertBooking(bridge.bookingId(code)).path("id").asLong();
    }

    /** Lets the poller run a few cycles, so "nothing happened" is a real observation. */
    private void pollCycles() {
        bridge.awaitMore("bridge.poll.cycles", 3);
    }

    @Test
    void aChangeAppliedWhileAnEvaluationRunsIsEvaluatedAgain() throws Exception {
        // Two cycles overlapping (a node's scheduled cycle and an operator's poll now on another), played step by step.
        assertEquals(200, bridge.post("/admin/poll/pause", new byte[0], bridge.admin()).statusCode());
        var registry = bridge.main.getCamelContext().getRegistry();
        ServiceTitanPoller poller = registry.lookupByNameAndType("poller", ServiceTitanPoller.class);
        Qualification qualification = registry.lookupByNameAndType("qualification", Qualification.class);
        long job = bookAndConvert("RACE-0001", 17);
        poller.poll(false, "default");                                  // the job link arrives, flagged
        List<ReferralProgress> read = qualification.toEvaluate("default"); // cycle A reads: a job, no status yet
        assertEquals(1, read.size());
        bridge.sandbox.setJobStatus(job, "Completed");
        poller.poll(false, "default");                                  // cycle B applies "Completed" meanwhile
        qualification.unchanged(read.get(0));                           // cycle A's outcome: nothing to do yet
        assertEquals(Boolean.TRUE, bridge.referral("RACE-0001").get("needs_evaluation"),
                "the change B applied is still to be evaluated");
        assertEquals(200, bridge.post("/admin/poll/resume", new byte[0], bridge.admin()).statusCode());
        bridge.awaitState("RACE-0001", "platform_notified");
    }

    @Test
    void jobStatusOption() throws Exception {
        long job = bookAndConvert("JS-0001", 17);
        bridge.awaitState("JS-0001", "job_created");
        bridge.sandbox.setJobStatus(job, "InProgress");
        pollCycles();
        assertEquals("job_created", bridge.referral("JS-0001").get("state"), "InProgress is not the milestone");
        assertEquals(0, bridge.platform.deliveries("JS-0001"));

        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("JS-0001", "platform_notified");
        assertEquals(1, bridge.platform.deliveries("JS-0001"));
        assertEquals("job_status:Completed", bridge.referral("JS-0001").get("milestone"));
        JsonNode told = bridge.platform.lastBody("JS-0001");
        assertEquals("JS-0001", told.path("code").asText());
        assertTrue(told.path("qualified").asBoolean());
        assertEquals("job_status:Completed", told.path("milestone").asText());

        bridge.sandbox.setJobStatus(job, "Completed"); // the feed repeats rows; nothing is told twice
        pollCycles();
        assertEquals(1, bridge.platform.deliveries("JS-0001"));
        assertEquals(0, bridge.platform.duplicates());
    }

    @Test
    void bookingBecomesJobOption() throws Exception {
        assertEquals(202, bridge.sendWebhook("evt-bj-1", referralEvent("BJ-0001", "bj@example.com", 18)).statusCode());
        bridge.awaitState("BJ-0001", "booked");
        pollCycles();
        assertEquals("booked", bridge.referral("BJ-0001").get("state"));

        bridge.sandbox.convertBooking(bridge.bookingId("BJ-0001"));
        bridge.awaitState("BJ-0001", "platform_notified");
        assertEquals(1, bridge.platform.deliveries("BJ-0001"));
    }

    @Test
    void revenueOption() throws Exception {
        long job = bookAndConvert("RV-0001", 19);
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.sandbox.setInvoice(job, "450.00", "0.00");
        pollCycles();
        assertEquals("job_created", bridge.referral("RV-0001").get("state"), "450.00 is under the 500.00 minimum");

        bridge.sandbox.setInvoice(job, "650.00", "650.00");
        pollCycles();
        assertEquals("job_created", bridge.referral("RV-0001").get("state"), "not paid yet");

        bridge.sandbox.setInvoice(job, "650.00", "0.00");
        bridge.awaitState("RV-0001", "platform_notified");
        assertEquals("revenue", bridge.referral("RV-0001").get("milestone"));
        assertEquals(1, bridge.platform.deliveries("RV-0001"));
    }

    @Test
    void noneOptionQualifiesOnlyByHand() throws Exception {
        long job = bookAndConvert("NO-0001", 20);
        bridge.sandbox.setJobStatus(job, "Completed");
        pollCycles();
        assertEquals("job_created", bridge.referral("NO-0001").get("state"));
        assertEquals(0, bridge.platform.deliveries("NO-0001"));

        HttpResponse<String> r = bridge.post("/api/referrals/NO-0001/qualify", new byte[0], bridge.admin());
        assertEquals(200, r.statusCode(), r.body());
        bridge.awaitState("NO-0001", "platform_notified");
        assertEquals("manual", bridge.referral("NO-0001").get("milestone"));
        assertEquals(409, bridge.post("/api/referrals/NO-0001/qualify", new byte[0], bridge.admin()).statusCode());
        assertEquals(401, bridge.post("/api/referrals/NO-0001/qualify", new byte[0], Map.of()).statusCode());
        assertEquals(404, bridge.post("/api/referrals/NOPE/qualify", new byte[0], bridge.admin()).statusCode());
        pollCycles();
        assertEquals(1, bridge.platform.deliveries("NO-0001"));
    }

    @Test
    void canceledJobIsNotQualifiedUnlessItLaterReachesTheMilestone() throws Exception {
        long job = bookAndConvert("CX-0001", 17);
        bridge.sandbox.setJobStatus(job, "Canceled");
        bridge.awaitState("CX-0001", "not_qualified");
        assertEquals("job canceled", bridge.referral("CX-0001").get("not_qualified_reason"));
        assertEquals(0, bridge.platform.deliveries("CX-0001"));

        bridge.sandbox.setJobStatus(job, "Completed"); // reopened and done after all
        bridge.awaitState("CX-0001", "platform_notified");
        assertNull(bridge.referral("CX-0001").get("not_qualified_reason"));
        assertEquals(1, bridge.platform.deliveries("CX-0001"));
    }

    @Test
    void reviewApproveAndReject() throws Exception {
        long a = bookAndConvert("RA-0001", 21);
        long b = bookAndConvert("RB-0001", 21);
        bridge.sandbox.setJobStatus(a, "Completed");
        bridge.sandbox.setJobStatus(b, "Completed");
        bridge.awaitState("RA-0001", "pending_review");
        bridge.awaitState("RB-0001", "pending_review");
        pollCycles();
        assertEquals(0, bridge.platform.deliveries("RA-0001"), "nothing is told before the review");

        assertEquals(200, bridge.post("/api/referrals/RA-0001/approve", new byte[0], bridge.admin()).statusCode());
        assertEquals(200, bridge.post("/api/referrals/RB-0001/reject", new byte[0], bridge.admin()).statusCode());
        bridge.awaitState("RA-0001", "platform_notified");
        assertEquals("not_qualified", bridge.referral("RB-0001").get("state"));
        assertEquals(409, bridge.post("/api/referrals/RB-0001/approve", new byte[0], bridge.admin()).statusCode());
        bridge.sandbox.setInvoice(b, "900.00", "0.00"); // later changes do not undo the operator's decision
        pollCycles();
        assertEquals("not_qualified", bridge.referral("RB-0001").get("state"));
        assertEquals(1, bridge.platform.deliveries("RA-0001"));
        assertEquals(0, bridge.platform.deliveries("RB-0001"));
    }

    @Test
    void aBookingThatBecameAJobBeforeTheBridgeKnewItsIdStillQualifies() throws Exception {
        // Created, answer lost, booked into a job and polled, all before the bridge's retry finds the booking.
        bridge.sandbox.injectFault(new Fault("POST", "/booking-provider/", 503, 2, 1, 0, true));
        assertEquals(202, bridge.sendWebhook("evt-early", referralEvent("EA-0001", "ea@example.com", 18))
                .statusCode());
        BridgeUnderTest.await("booking created", Duration.ofSeconds(10),
                () -> bridge.sandbox.bookingsWithExternalId("EA-0001").size() == 1);
        bridge.sandbox.convertBooking(bridge.sandbox.bookingsWithExternalId("EA-0001").get(0).path("id").asLong());
        bridge.awaitState("EA-0001", "platform_notified");
        assertEquals(1, bridge.platform.deliveries("EA-0001"));
    }

    @Test
    void aPlatformOutageThatEndsDeliversOnce() throws Exception {
        bridge.platform.injectFault(Fault.status(null, "/", 503, 3));
        long job = bookAndConvert("PO-0001", 17);
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("PO-0001", "platform_notified");
        assertEquals(1, bridge.platform.deliveries("PO-0001"));
        assertEquals(0, bridge.platform.duplicates());
    }

    @Test
    void aLostPlatformAnswerIsNotARewardPaidTwice() throws Exception {
        // The platform records the qualification, then the answer is lost: the retry reads the user first and sees
        // it qualified, so no second qualification is sent.
        bridge.platform.injectFault(new Fault("PUT", "/qualification", 503, null, 1, 0, true));
        long job = bookAndConvert("LA-0001", 17);
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("LA-0001", "platform_notified");
        assertTrue(bridge.platform.isQualified("LA-0001"));
        assertEquals(1, bridge.platform.deliveries("LA-0001"));
        assertEquals(0, bridge.platform.duplicates());
    }

    @Test
    void crashBetweenQualifiedAndToldTellsOnceAfterRestart() throws Exception {
        bridge.platform.injectFault(Fault.status(null, "/", 503, 1_000_000));
        long job = bookAndConvert("CR-0001", 17);
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("CR-0001", "qualified");
        bridge.restart();
        // The earlier attempts may have ended in the dead-letter channel; the outbox row is there either way.
        bridge.platform.clearFaults();
        BridgeUnderTest.await("told after restart", Duration.ofSeconds(30), () -> {
            for (Map<String, Object> dl : bridge.query("SELECT id FROM dead_letter WHERE replayed_at IS NULL")) {
                bridge.post("/admin/dead-letters/" + dl.get("id") + "/replay", new byte[0], bridge.admin());
            }
            return "platform_notified".equals(bridge.referral("CR-0001").get("state"));
        });
        bridge.restart();
        pollCycles();
        assertEquals(1, bridge.platform.qualifiedCount());
        assertEquals(0, bridge.platform.duplicates());
        assertEquals(1L, ((Number) bridge.query("SELECT count(*) AS n FROM outbox o JOIN referral r ON "
                + "r.id = o.referral_id WHERE r.code = 'CR-0001' AND o.kind = 'notify_platform'").get(0).get("n"))
                .longValue());
    }

    @Test
    void tenThousandUnrelatedChangesQualifyOnlyTheOneReferral() throws Exception {
        long job = bookAndConvert("TK-0001", 17);
        bridge.awaitState("TK-0001", "job_created");
        bridge.sandbox.addUnrelatedJobs(5_000);
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.sandbox.addUnrelatedJobs(5_000);
        bridge.awaitState("TK-0001", "platform_notified");
        assertEquals(1, bridge.platform.qualifiedCount());
        assertEquals(1L, ((Number) bridge.query("SELECT count(*) AS n FROM referral").get(0).get("n")).longValue());
    }

    @Test
    void anIdleCycleCostsOneRequestPerFeedWhateverTheOpenReferrals() throws Exception {
        // 100,000 open referrals waiting for their jobs, and nothing changes in ServiceTitan.
        bridge.execute("INSERT INTO referral (code, campaign_id, first_name, email, payload, state, booking_id) "
                + "SELECT 'OPEN-' || g, '17', 'A', 'a@example.com', '{}'::jsonb, 'booked', 900000 + g "
                + "FROM generate_series(1, 100000) g");
        pollCycles();
        String[] feeds = {"GET /crm/v2/tenant/{tenant}/export/bookings", "GET /jpm/v2/tenant/{tenant}/export/jobs",
                "GET /accounting/v2/tenant/{tenant}/export/invoices"};
        int[] before = new int[3];
        for (int i = 0; i < 3; i++) {
            before[i] = bridge.sandbox.requestCount(feeds[i]);
        }
        bridge.awaitMore("bridge.poll.cycles", 5);
        int cycles = bridge.sandbox.requestCount(feeds[1]) - before[1];
        assertTrue(cycles >= 3, "the poll runs on its 200 ms interval; cycles seen: " + cycles);
        for (int i = 0; i < 3; i++) {
            int requests = bridge.sandbox.requestCount(feeds[i]) - before[i];
            assertTrue(Math.abs(requests - cycles) <= 1, feeds[i] + ": " + requests + " requests in " + cycles
                    + " cycles");
        }
        assertEquals(0, bridge.sandbox.requestCount("GET /jpm/v2/tenant/{tenant}/jobs"), "no per-referral look-ups");
    }

    @Test
    void reportSummaryAndLists() throws Exception {
        long j1 = bookAndConvert("RP-0001", 17);
        bookAndConvert("RP-0002", 17);
        assertEquals(202, bridge.sendWebhook("evt-rp-3", referralEvent("RP-0003", "rp3@example.com", 18))
                .statusCode());
        bridge.sandbox.setJobStatus(j1, "Completed");
        bridge.awaitState("RP-0001", "platform_notified");
        bridge.awaitState("RP-0003", "booked");

        HttpResponse<String> r = bridge.get("/api/reports/summary?campaign=17", bridge.admin());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode c17 = bridge.json(r).path("campaigns").get(0);
        assertEquals("17", c17.path("campaign_id").asText());
        assertEquals(2, c17.path("joined").asInt());
        assertEquals(2, c17.path("booked").asInt());
        assertEquals(2, c17.path("became_jobs").asInt());
        assertEquals(1, c17.path("qualified").asInt());
        assertEquals(1, c17.path("platform_notified").asInt());
        assertEquals(0.5, c17.path("qualification_rate").asDouble());
        assertTrue(c17.path("median_seconds_to_qualify").asDouble() > 0);
        assertEquals(1, bridge.json(r).path("campaigns").size(), "filtered to campaign 17");

        JsonNode all = bridge.json(bridge.get("/api/reports/summary?from=2000-01-01", bridge.admin()));
        assertEquals(2, all.path("campaigns").size());
        JsonNode none = bridge.json(bridge.get("/api/reports/summary?to=2000-01-01", bridge.admin()));
        assertEquals(0, none.path("campaigns").size());
        assertEquals(400, bridge.get("/api/reports/summary?from=yesterday", bridge.admin()).statusCode());

        JsonNode byQualified = bridge.json(bridge.get("/api/referrals?sort=qualified", bridge.admin()));
        assertEquals(1, byQualified.path("referrals").size());
        assertEquals("RP-0001", byQualified.path("referrals").get(0).path("code").asText());
        JsonNode byJoined = bridge.json(bridge.get("/api/referrals?sort=joined&limit=2", bridge.admin()));
        assertEquals("RP-0003", byJoined.path("referrals").get(0).path("code").asText(), "newest first");
        assertEquals(2, byJoined.path("referrals").size());
        JsonNode nextPage = bridge.json(bridge.get("/api/referrals?sort=joined&limit=2&offset=2", bridge.admin()));
        assertEquals("RP-0001", nextPage.path("referrals").get(0).path("code").asText(), "the page after");
        for (String bad : new String[] {"limit=0", "limit=-1", "limit=5000", "offset=-1", "offset=x"}) {
            HttpResponse<String> refused = bridge.get("/api/referrals?" + bad, bridge.admin());
            assertEquals(400, refused.statusCode(), bad);
            assertTrue(refused.body().contains("whole number"), refused.body());
        }
    }

    @Test
    void inboundWebhookModeSendsTheCodeAlone() throws Exception {
        bridge.close();
        // An inbound webhook carries a code only: no claw-back (startup refuses one, see StartupTest).
        bridge = BridgeUnderTest.start(Map.of("platform.mode", "inbound-webhook",
                "platform.inbound-webhook-url", "${platform}/webhook/tok-123/qualify",
                "bridge.campaigns.clawback-days", "0"));
        long job = bookAndConvert("IW-0001", 17);
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("IW-0001", "platform_notified");
        assertEquals(1, bridge.platform.deliveries("IW-0001"));
    }

    @Test
    void referralViewShowsTheHistory() throws Exception {
        long job = bookAndConvert("VW-0001", 17);
        bridge.sandbox.setJobStatus(job, "Completed");
        bridge.awaitState("VW-0001", "platform_notified");
        HttpResponse<String> r = bridge.get("/api/referrals/VW-0001", bridge.admin());
        assertEquals(200, r.statusCode(), r.body());
        JsonNode view = bridge.json(r);
        assertEquals("platform_notified", view.path("state").asText());
        List<String> states = new java.util.ArrayList<>();
        view.path("history").forEach(h -> states.add(h.path("to_state").asText()));
        assertEquals(List.of("received", "booking_requested", "booked", "job_created", "qualified",
                "platform_notified"), states);
        assertEquals(403, bridge.get("/api/referrals/VW-0001", Map.of("Authorization", "Bearer x")).statusCode());
    }
}
