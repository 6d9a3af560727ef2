package io.referralbridge.intake;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A referral webhook, end to end: HTTP in, PostgreSQL, ServiceTitan sandbox over HTTP. */
class ReferralIntakeTest {

    static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of(), started -> bridge = started);

    @Test
    void aBodyWithAByteOrderMarkIsStored() {
        byte[] json = referralEvent("BOM-0001", "bom@example.com").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = new byte[json.length + 3];
        body[0] = (byte) 0xEF;
        body[1] = (byte) 0xBB;
        body[2] = (byte) 0xBF;
        System.arraycopy(json, 0, body, 3, json.length);
        HttpResponse<String> answer = bridge.sendSigned("evt-bom-1", java.time.Instant.now().getEpochSecond(), body,
                "application/json");
        assertEquals(202, answer.statusCode(), answer.body());
        bridge.awaitState("BOM-0001", "booked");
    }

    @Test
    void webhookBecomesExactlyOneBookingWithEveryMappedField() {
        HttpResponse<String> answer = bridge.sendWebhook("evt-map-1", referralEvent("MAP-0001", "dana@example.com"));

        assertEquals(202, answer.statusCode(), answer.body());
        JsonNode body = bridge.json(answer);
        assertEquals("MAP-0001", body.path("code").asText());
        assertFalse(body.path("duplicate").asBoolean());
        // 2xx means committed: the row is there the moment the answer is.
        assertNotNull(bridge.referral("MAP-0001"));

        bridge.awaitState("MAP-0001", "booked");
        List<ObjectNode> bookings = bridge.sandbox.bookingsWithExternalId("MAP-0001");
        assertEquals(1, bookings.size());
        ObjectNode b = bookings.get(0);
        assertEquals("Dana Whitfield", b.path("name").asText());
        assertEquals("referral landing page", b.path("source").asText(), "source comes from the webhook field");
        assertEquals(true, b.path("isFirstTimeClient").asBoolean());
        assertEquals(42, b.path("bookingProviderId").asLong());
        assertEquals(3001, b.path("campaignId").asLong());
        assertEquals(5001, b.path("businessUnitId").asLong());
        assertEquals(7001, b.path("jobTypeId").asLong());
        assertEquals("Normal", b.path("priority").asText());
        assertEquals("Residential", b.path("customerType").asText());
        String summary = b.path("summary").asText();
        assertTrue(summary.startsWith("AC not cooling"), summary);
        assertTrue(summary.contains("Referred by: Sam Ortiz"), summary);
        assertTrue(summary.contains("Referrer email: sam.ortiz@example.com"), summary);
        assertTrue(summary.contains("Referral campaign: Spring HVAC tune-up"), summary);
        assertTrue(summary.contains("Referral link: https://refer.example.com/r/MAP-0001"), summary);
        JsonNode contacts = b.path("contacts");
        assertEquals("Email", contacts.get(0).path("type").asText());
        assertEquals("dana@example.com", contacts.get(0).path("value").asText());
        assertEquals("Phone", contacts.get(1).path("type").asText());
        assertEquals("12 Elm St", b.path("address").path("street").asText());
        assertEquals("74103", b.path("address").path("zip").asText());

        Map<String, Object> row = bridge.referral("MAP-0001");
        assertEquals(b.path("id").asLong(), ((Number) row.get("booking_id")).longValue());
        List<Map<String, Object>> history = bridge.query(
                "SELECT h.to_state FROM referral_history h JOIN referral r ON r.id = h.referral_id "
                        + "WHERE r.code = ? ORDER BY h.id", "MAP-0001");
        assertEquals(List.of("received", "booking_requested", "booked"),
                history.stream().map(h -> h.get("to_state")).toList());
    }

    @Test
    void campaignDefaultsFillSourceAndSummaryWhenTheWebhookHasNone() {
        String event = referralEvent("DEF-0001", "def@example.com")
                .replace("\"source\": \"referral landing page\",", "")
                .replace("\"service_needed\": \"AC not cooling\"", "\"other\": \"x\"");
        assertEquals(202, bridge.sendWebhook("evt-def-1", event).statusCode());
        bridge.awaitState("DEF-0001", "booked");
        ObjectNode b = bridge.sandbox.bookingsWithExternalId("DEF-0001").get(0);
        assertEquals("Referral program", b.path("source").asText());
        assertTrue(b.path("summary").asText().startsWith("Referred customer, please call to schedule"));
    }

    @Test
    void sameEventDeliveredTwiceMakesOneReferralAndOneBooking() {
        String event = referralEvent("DUP-0001", "dup@example.com");
        HttpResponse<String> first = bridge.sendWebhook("evt-dup-1", event);
        HttpResponse<String> second = bridge.sendWebhook("evt-dup-1", event);

        assertEquals(202, first.statusCode());
        assertEquals(200, second.statusCode());
        assertTrue(bridge.json(second).path("duplicate").asBoolean());
        assertEquals(bridge.json(first).path("referralId").asLong(), bridge.json(second).path("referralId").asLong());
        bridge.awaitState("DUP-0001", "booked");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("DUP-0001").size());
    }

    @Test
    void sameCodeUnderANewEventIdIsRecognised() {
        assertEquals(202, bridge.sendWebhook("evt-code-1", referralEvent("CODE-0001", "c@example.com")).statusCode());
        HttpResponse<String> again = bridge.sendWebhook("evt-code-2", referralEvent("CODE-0001", "c@example.com"));
        assertEquals(200, again.statusCode());
        bridge.awaitState("CODE-0001", "booked");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("CODE-0001").size());
        assertEquals(1, bridge.query("SELECT 1 FROM referral WHERE code = 'CODE-0001'").size());
    }

    @Test
    void concurrentDeliveriesOfOneReferralMakeOneBooking() throws Exception {
        String event = referralEvent("RACE-0001", "race@example.com");
        ExecutorService pool = Executors.newFixedThreadPool(12);
        try {
            List<Callable<Integer>> calls = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String eventId = "evt-race-" + (i % 3); // the same event retried, and the same code under new ids
                calls.add(() -> bridge.sendWebhook(eventId, event).statusCode());
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : pool.invokeAll(calls)) {
                statuses.add(f.get());
            }
            assertEquals(1, statuses.stream().filter(s -> s == 202).count(), statuses.toString());
            assertEquals(23, statuses.stream().filter(s -> s == 200).count(), statuses.toString());
        } finally {
            pool.shutdownNow();
        }
        bridge.awaitState("RACE-0001", "booked");
        // A stray second task would be due before this later referral: once it is booked, the queue has passed it.
        assertEquals(202, bridge.sendWebhook("evt-race-after", referralEvent("RACE-0002", "r2@example.com"))
                .statusCode());
        bridge.awaitState("RACE-0002", "booked");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("RACE-0001").size());
        assertEquals(1L, ((Number) bridge.query("SELECT count(*) AS n FROM outbox o JOIN referral r "
                + "ON r.id = o.referral_id WHERE r.code = 'RACE-0001'").get(0).get("n")).longValue());
    }

    @Test
    void manyReferralsAreAllBooked() {
        for (int i = 0; i < 30; i++) {
            String code = "MANY-%04d".formatted(i);
            assertEquals(202, bridge.sendWebhook("evt-many-" + i, referralEvent(code, "m" + i + "@example.com"))
                    .statusCode());
        }
        BridgeUnderTest.await("30 referrals booked", Duration.ofSeconds(30), () -> ((Number) bridge.query(
                "SELECT count(*) AS n FROM referral WHERE code LIKE 'MANY-%' AND state = 'booked'").get(0).get("n"))
                .intValue() == 30);
        for (int i = 0; i < 30; i++) {
            assertEquals(1, bridge.sandbox.bookingsWithExternalId("MANY-%04d".formatted(i)).size());
        }
    }

    private static Referral referral(String eventId, String code) {
        return new Referral(eventId, code, "17", "Dana", "W", code.toLowerCase() + "@example.com", null,
                referralEvent(code, code.toLowerCase() + "@example.com"), "default");
    }

    private static long referralId(String code) {
        return ((Number) bridge.referral(code).get("id")).longValue();
    }

    private long rows(String sql) {
        return ((Number) bridge.query(sql).get(0).get("n")).longValue();
    }

    @Test
    void webhooksSharingATransactionMeanWhatTheyWouldOneByOne() {
        ReferralStore store = bridge.main.getCamelContext().getRegistry().lookupByNameAndType("referralStore",
                ReferralStore.class);
        assertEquals(202, bridge.sendWebhook("evt-gc-seen", referralEvent("GC-SEEN", "s@example.com")).statusCode());
        assertEquals(202, bridge.sendWebhook("evt-gc-code", referralEvent("GC-CODE", "k@example.com")).statusCode());
        long seenId = referralId("GC-SEEN");
        long codeId = referralId("GC-CODE");

        List<IntakeResult> results = store.store(List.of(referral("evt-gc-a", "GC-A"),
                referral("evt-gc-seen", "GC-SEEN"), referral("evt-gc-b", "GC-B"), referral("evt-gc-new", "GC-CODE")));

        assertEquals(List.of("GC-A", "GC-SEEN", "GC-B", "GC-CODE"), results.stream().map(IntakeResult::code).toList());
        assertEquals(List.of(false, true, false, true), results.stream().map(IntakeResult::duplicate).toList());
        assertEquals(referralId("GC-A"), results.get(0).referralId());
        assertEquals(seenId, results.get(1).referralId());
        assertEquals(referralId("GC-B"), results.get(2).referralId());
        assertEquals(codeId, results.get(3).referralId());
        // the new event id for a known code is remembered: its next delivery is found by event id
        assertEquals(codeId, ((Number) bridge.query("SELECT referral_id FROM webhook_event WHERE event_id = "
                + "'evt-gc-new'").get(0).get("referral_id")).longValue());
        assertEquals(4, rows("SELECT count(*) AS n FROM referral WHERE code LIKE 'GC-%'"));
        assertEquals(4, rows("SELECT count(*) AS n FROM referral_history h JOIN referral r ON r.id = h.referral_id "
                + "WHERE r.code LIKE 'GC-%' AND h.to_state = 'received'"));
        assertEquals(4, rows("SELECT count(*) AS n FROM outbox o JOIN referral r ON r.id = o.referral_id "
                + "WHERE r.code LIKE 'GC-%'"));
        bridge.awaitState("GC-B", "booked");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("GC-B").size());
    }

    @Test
    void aTransactionOfSeveralWebhooksWithOneBadRowStoresNone() {
        ReferralStore store = bridge.main.getCamelContext().getRegistry().lookupByNameAndType("referralStore",
                ReferralStore.class);
        Referral bad = new Referral("evt-gcbad-2", "GCBAD-2", "17", "Dana", null, "d@example.com", null, "{not json",
                "default");

        assertThrows(RuntimeException.class, () -> store.store(List.of(referral("evt-gcbad-1", "GCBAD-1"), bad)));

        assertEquals(0, rows("SELECT count(*) AS n FROM referral WHERE code LIKE 'GCBAD-%'"));
        assertEquals(0, rows("SELECT count(*) AS n FROM webhook_event WHERE event_id LIKE 'evt-gcbad-%'"));
    }

    @Test
    void concurrentWebhooksAreEachAnsweredWithTheirOwnReferral() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Callable<JsonNode>> calls = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String code = "CONC-%04d".formatted(i % 240); // 60 redeliveries of an event already sent
                calls.add(() -> {
                    HttpResponse<String> r = bridge.sendWebhook("evt-" + code, referralEvent(code,
                            code.toLowerCase() + "@example.com"));
                    ObjectNode answer = (ObjectNode) bridge.json(r);
                    answer.put("status", r.statusCode());
                    answer.put("sent", code);
                    return answer;
                });
            }
            List<JsonNode> answers = new ArrayList<>();
            for (Future<JsonNode> f : pool.invokeAll(calls)) {
                answers.add(f.get());
            }
            assertEquals(240, answers.stream().filter(a -> a.path("status").asInt() == 202).count());
            assertEquals(60, answers.stream().filter(a -> a.path("status").asInt() == 200).count());
            for (JsonNode a : answers) {
                String code = a.path("sent").asText();
                assertEquals(code, a.path("code").asText(), a.toString());
                assertEquals(referralId(code), a.path("referralId").asLong(), a.toString());
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(240, rows("SELECT count(*) AS n FROM referral WHERE code LIKE 'CONC-%'"));
        assertEquals(240, rows("SELECT count(*) AS n FROM referral_history h JOIN referral r ON r.id = h.referral_id "
                + "WHERE r.code LIKE 'CONC-%' AND h.to_state = 'received'"));
        assertEquals(240, rows("SELECT count(*) AS n FROM outbox o JOIN referral r ON r.id = o.referral_id "
                + "WHERE r.code LIKE 'CONC-%'"));
        // All of them booked, once each (and the queue left empty for the next test).
        BridgeUnderTest.await("the 240 booked", java.time.Duration.ofSeconds(120), () -> rows(
                "SELECT count(*) AS n FROM referral WHERE code LIKE 'CONC-%' AND state = 'booked'") == 240);
    }
}
