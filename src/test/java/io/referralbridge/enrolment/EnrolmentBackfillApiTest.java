package io.referralbridge.enrolment;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The backfill's admin API as an operator (and a careless script) uses it: concurrent starts, progress while
 * ServiceTitan fails, a cancel while a page is being read, and bodies that are not what it asks for.
 */
class EnrolmentBackfillApiTest {

    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of("bridge.campaign.20.enrol", "true"),
            b -> bridge = b);

    @AfterEach
    void cancelAll() {
        bridge.sandbox.clearFaults();
        for (Map<String, Object> b : bridge.query("SELECT id FROM enrolment_backfill WHERE state = 'reading'")) {
            bridge.post("/api/enrolments/backfills/" + b.get("id") + "/cancel", new byte[0], bridge.admin());
        }
    }

    private static HttpResponse<String> start(String body) {
        return start(body.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    private static HttpResponse<String> start(byte[] body, String contentType) {
        Map<String, String> headers = new java.util.HashMap<>(bridge.admin());
        headers.put("Content-Type", contentType);
        return bridge.post("/api/enrolments/backfills", body, headers);
    }

    private static String range(int daysAgoFrom, int daysAgoTo) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return "{\"campaign\": \"20\", \"from\": \"" + today.minusDays(daysAgoFrom) + "\", \"to\": \""
                + today.minusDays(daysAgoTo) + "\"}";
    }

    @Test
    void concurrentStartsOfOneCampaignStartOneBackfill() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Future<Integer>> answers = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            answers.add(pool.submit(() -> start(range(400, 300)).statusCode()));
        }
        int started = 0;
        int refused = 0;
        for (Future<Integer> a : answers) {
            int status = a.get();
            started += status == 202 ? 1 : 0;
            refused += status == 409 ? 1 : 0;
        }
        pool.shutdown();
        assertEquals(1, started, "one backfill of a campaign reads at a time");
        assertEquals(19, refused);
        assertTrue(bridge.query("SELECT id FROM enrolment_backfill WHERE campaign_id = '20' AND state = 'reading'")
                .size() <= 1);
    }

    @Test
    void progressIsShownWhileServiceTitanFailsTheEnrolments() {
        bridge.sandbox.addCompletedCustomers(20, "failing", Instant.now().minus(Duration.ofDays(200)));
        bridge.sandbox.injectFault(Fault.status(null, "/customers/", 503, 1_000_000)); // no enrolment can finish
        HttpResponse<String> started = start(range(210, 190));
        assertEquals(202, started.statusCode(), started.body());
        long id = bridge.json(started).path("id").asLong();
        BridgeUnderTest.await("the page read", Duration.ofSeconds(30), () -> bridge.json(bridge.get(
                "/api/enrolments/backfills/" + id, bridge.admin())).path("jobs").path("read").asInt() >= 20);

        HttpResponse<String> one = bridge.get("/api/enrolments/backfills/" + id, bridge.admin());
        assertEquals(200, one.statusCode(), one.body());
        JsonNode progress = bridge.json(one);
        assertTrue(progress.path("secondsLeft").isNull(), "unknown while nothing finishes: " + progress);
        assertEquals(200, bridge.get("/api/enrolments/backfills", bridge.admin()).statusCode());
    }

    @Test
    void aCancelDoesNotWaitForThePageBeingRead() throws Exception {
        bridge.sandbox.addCompletedCustomers(30, "slow", Instant.now().minus(Duration.ofDays(500)));
        // ServiceTitan takes 8 s over the page (status 0: then answers it as usual).
        bridge.sandbox.injectFault(new Fault("GET", "completedOnOrAfter", 0, null, 1, 8_000, false));
        String jobsPage = "GET /jpm/v2/tenant/{tenant}/jobs";
        int before = bridge.sandbox.requestCount(jobsPage);
        HttpResponse<String> started = start(range(510, 490));
        assertEquals(202, started.statusCode(), started.body());
        long id = bridge.json(started).path("id").asLong();
        BridgeUnderTest.await("the page asked for", Duration.ofSeconds(10),
                () -> bridge.sandbox.requestCount(jobsPage) > before);

        long t0 = System.nanoTime();
        HttpResponse<String> canceled = bridge.post("/api/enrolments/backfills/" + id + "/cancel", new byte[0],
                bridge.admin());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(200, canceled.statusCode(), canceled.body());
        assertEquals("canceled", bridge.json(canceled).path("state").asText(), canceled.body());
        assertTrue(ms < 4_000, "answered while ServiceTitan still held the page (" + ms + " ms)");
        assertEquals(202, bridge.sendWebhook("evt-during-read", BridgeUnderTest.referralEvent("DURING-1",
                "during@example.com")).statusCode(), "the intake is not starved meanwhile");

        Thread.sleep(Math.max(0, 10_000 - ms)); // the slow page answered, and found its backfill canceled
        assertEquals("canceled", bridge.json(bridge.get("/api/enrolments/backfills/" + id, bridge.admin()))
                .path("state").asText());
        assertEquals(0, bridge.query("SELECT 1 FROM enrolment WHERE backfill_id = ?", id).size(),
                "the page read after the cancel is not applied");
    }

    @Test
    void bodiesThatAreNotTheBackfillAreRefusedSayingWhy() {
        int backfills = bridge.query("SELECT 1 FROM enrolment_backfill").size();
        assertRefused(start("{\"campaign\": \"20\", \"from\": \"0000-01-01\", \"to\": \"2026-01-01\"}"), 422,
                "between years 1 and 9999");
        assertRefused(start("{\"campaign\": \"20\", \"from\": \"2026-01-01\", \"to\": \"+10000-01-01T00:00:00Z\"}"),
                422, "between years 1 and 9999");
        assertRefused(start("{\"campaign\": \"20\", \"from\": \"-5000-01-01T00:00:00Z\", \"to\": \"2026-01-01\"}"),
                422, "between years 1 and 9999");
        assertRefused(start("{}"), 422, "'campaign' is required");
        assertRefused(start("{\"campaign\": \"20\"}"), 422, "'from' is required");
        assertRefused(start("{\"campaign\": {\"id\": 20}, \"from\": \"2026-01-01\", \"to\": \"2026-02-01\"}"), 422,
                "'campaign' must be a string");
        assertRefused(start("[]"), 400, "JSON object");
        assertRefused(start("null"), 400, "JSON object");
        assertRefused(start("{\"campaign\": \"17\", \"campaign\": \"20\", \"from\": \"2026-01-01\", "
                + "\"to\": \"2026-02-01\"}"), 400, "not valid JSON");
        byte[] invalidUtf8 = "{\"campaign\": \"\u00ff20\", \"from\": \"2026-01-01\", \"to\": \"2026-02-01\"}"
                .getBytes(StandardCharsets.ISO_8859_1);
        assertRefused(start(invalidUtf8, "application/json"), 400, "not valid JSON");
        for (String type : new String[] {"application/json-patch+json", "application/jsonfoo",
                "application/json; charset=iso-8859-1"}) {
            assertRefused(start(range(30, 20).getBytes(StandardCharsets.UTF_8), type), 415, "application/json");
        }
        assertEquals(backfills, bridge.query("SELECT 1 FROM enrolment_backfill").size(), "nothing stored");
    }

    private static void assertRefused(HttpResponse<String> answer, int status, String says) {
        assertEquals(status, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains(says), says + " in " + answer.body());
        assertTrue(answer.body().startsWith("{"), answer.body());
    }
}
