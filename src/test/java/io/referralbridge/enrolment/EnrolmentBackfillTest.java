package io.referralbridge.enrolment;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An operator enrols a tenant's past customers: a backfill of 5,000 customers with jobs completed in a date range, at
 * the default request budget (50 calls a second to ServiceTitan), stopped twice on the way (while it reads pages, and
 * while it enrols) and going on where it was. Its progress is in the API and in JMX.
 */
class EnrolmentBackfillTest {

    private static final int CUSTOMERS = 5000;
    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of("bridge.campaign.20.enrol", "true"),
            b -> bridge = b);

    private static JsonNode progress(long id) {
        return bridge.json(bridge.get("/api/enrolments/backfills/" + id, bridge.admin()));
    }

    private static HttpResponse<String> start(String body) {
        Map<String, String> headers = new java.util.HashMap<>(bridge.admin());
        headers.put("Content-Type", "application/json");
        return bridge.post("/api/enrolments/backfills", body.getBytes(StandardCharsets.UTF_8), headers);
    }

    @Test
    void fiveThousandPastCustomersAreEnrolledOnceAcrossStopsWithinTheRequestBudget() {
        Instant now = Instant.now();
        List<Long> past = bridge.sandbox.addCompletedCustomers(CUSTOMERS, "past", now.minus(Duration.ofDays(40)));
        bridge.sandbox.setCustomer(past.get(7), "doNotMail", true);
        bridge.sandbox.addCompletedCustomers(20, "recent", now.minus(Duration.ofDays(3))); // after the range
        bridge.sandbox.resetArrivals();
        LocalDate to = LocalDate.ofInstant(now.minus(Duration.ofDays(10)), ZoneOffset.UTC);

        HttpResponse<String> started = start("{\"campaign\": \"20\", \"from\": \"" + to.minusDays(90) + "\", \"to\": \""
                + to + "\"}");
        assertEquals(202, started.statusCode(), started.body());
        long id = bridge.json(started).path("id").asLong();
        assertEquals(409, start("{\"campaign\": \"20\", \"from\": \"2020-01-01\", \"to\": \"2021-01-01\"}")
                .statusCode(), "one backfill of a campaign reads at a time");

        // Stopped while it reads pages, and again while it enrols: it goes on from where it was.
        BridgeUnderTest.await("pages read", Duration.ofSeconds(60),
                () -> progress(id).path("jobs").path("read").asInt() >= 1000);
        bridge.restart();
        BridgeUnderTest.await("a fifth enrolled", Duration.ofMinutes(3), () -> progress(id).path("done").asInt()
                >= CUSTOMERS / 5);
        JsonNode midway = progress(id);
        assertEquals(CUSTOMERS, midway.path("jobs").path("total").asInt(), midway.toString());
        assertTrue(midway.path("ratePerMinute").asDouble() > 0, midway.toString());
        assertTrue(midway.path("secondsLeft").asLong() > 0, midway.toString());
        assertTrue(midway.path("total").asInt() >= CUSTOMERS - 200, "expected total: " + midway);
        bridge.restart();

        // The operator looks in Hawtio (JMX over Jolokia): the same progress.
        JsonNode jmx = jolokiaExec("enrolmentBackfills");
        JsonNode listed = bridge.json(jmx.path("value").asText()).path("backfills").get(0);
        assertEquals(id, listed.path("id").asLong(), jmx.toString());
        assertTrue(listed.has("secondsLeft") && listed.has("ratePerMinute"), listed.toString());

        BridgeUnderTest.await("the backfill done", Duration.ofMinutes(8),
                () -> progress(id).path("state").asText().equals("done"));
        JsonNode done = progress(id);
        assertEquals(CUSTOMERS, done.path("jobs").path("read").asInt(), done.toString());
        assertEquals(CUSTOMERS - 1, done.path("customers").path("enrolled").asInt(), done.toString());
        assertEquals(1, done.path("customers").path("skipped").asInt(), done.toString());
        assertEquals(CUSTOMERS - 1, bridge.platform.referrerCount(), "one referrer per customer");
        assertNull(bridge.platform.referrer("20", "recent0@example.com"), "a job completed after the range");
        assertEquals(0L, bridge.query("SELECT count(*) AS n FROM enrolment WHERE backfill_id IS NULL").get(0).get("n"),
                "the poll did not see the tenant's past");
        int busiest = bridge.sandbox.maxCallsInOneClockSecond();
        assertTrue(busiest <= 50, "at most the budget (50 calls a second) reached ServiceTitan; busiest second: "
                + busiest);
    }

    @Test
    void aBackfillNeedsACampaignThatEnrolsAndARange() {
        assertEquals(401, bridge.post("/api/enrolments/backfills", "{}".getBytes(StandardCharsets.UTF_8), Map.of())
                .statusCode());
        HttpResponse<String> unknown = start("{\"campaign\": \"99\", \"from\": \"2026-01-01\", \"to\": \"2026-02-01\"}");
        assertEquals(422, unknown.statusCode());
        assertTrue(unknown.body().contains("No campaign '99'"), unknown.body());
        HttpResponse<String> notEnrolling = start("{\"campaign\": \"17\", \"from\": \"2026-01-01\", "
                + "\"to\": \"2026-02-01\"}");
        assertEquals(422, notEnrolling.statusCode());
        assertTrue(notEnrolling.body().contains("bridge.campaign.17.enrol=true"), notEnrolling.body());
        HttpResponse<String> badDate = start("{\"campaign\": \"20\", \"from\": \"last year\", \"to\": \"2026-02-01\"}");
        assertEquals(422, badDate.statusCode());
        assertTrue(badDate.body().contains("'from' must be a date"), badDate.body());
        assertEquals(422, start("{\"campaign\": \"20\", \"from\": \"2026-02-01\", \"to\": \"2026-01-01\"}")
                .statusCode());
        assertEquals(400, start("not json").statusCode());
        assertEquals(415, bridge.post("/api/enrolments/backfills", "{}".getBytes(StandardCharsets.UTF_8),
                bridge.admin()).statusCode(), "a form post (curl -d without a content type) is told what to send");
        assertEquals(404, bridge.get("/api/enrolments/backfills/123456", bridge.admin()).statusCode());
    }

    private static JsonNode jolokiaExec(String operation) {
        String mbean = bridge.json(bridge.management("/observe/jolokia/search/referral-bridge:type=operations,*"))
                .path("value").path(0).asText();
        String request = "{\"type\": \"exec\", \"mbean\": \"" + mbean + "\", \"operation\": \"" + operation + "\"}";
        Map<String, String> headers = new java.util.HashMap<>(BridgeUnderTest.managementAuth());
        headers.put("Content-Type", "application/json");
        return bridge.json(bridge.management("POST", "/observe/jolokia", request, headers));
    }
}
