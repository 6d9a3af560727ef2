package io.referralbridge.intake;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every refused webhook gets a 4xx with {error, detail} naming the problem, and the database stays as it was. */
class BadInputTest {

    static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of(), started -> bridge = started);

    private void assertRefused(HttpResponse<String> answer, int status, String error, String detailMentions) {
        assertEquals(status, answer.statusCode(), answer.body());
        assertTrue(answer.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode body = bridge.json(answer);
        assertEquals(error, body.path("error").asText(), answer.body());
        assertTrue(body.path("detail").asText().contains(detailMentions), answer.body());
    }

    private void refusedWithoutWriting(Runnable send) {
        Map<String, Long> before = bridge.tableCounts();
        send.run();
        assertEquals(before, bridge.tableCounts(), "a refused webhook must not write anything");
    }

    @Test
    void malformedJson() {
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-1", "{\"type\": \"referral.joined\", "),
                400, "malformed_json", "Not valid JSON"));
    }

    @Test
    void jsonThatIsNotAnObject() {
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-2", "[1,2,3]"),
                400, "malformed_json", "JSON object"));
    }

    @Test
    void duplicateKeysAreRefused() {
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-3",
                "{\"type\": \"referral.joined\", \"type\": \"x\"}"), 400, "malformed_json", "Duplicate field"));
    }

    @Test
    void missingEmail() {
        String event = referralEvent("NOEMAIL-1", "x@example.com").replace("\"email\": \"x@example.com\",", "");
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-4", event),
                422, "missing_field", "/data/email"));
    }

    @Test
    void missingCode() {
        String event = referralEvent("NOCODE-1", "x@example.com").replace("\"code\": \"NOCODE-1\",", "");
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-5", event),
                422, "missing_field", "/data/code"));
    }

    @Test
    void wrongTypeForFirstName() {
        String event = referralEvent("TYPE-1", "x@example.com").replace("\"first_name\": \"Dana\"",
                "\"first_name\": {\"a\": 1}");
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-6", event),
                422, "invalid_field", "/data/first_name"));
    }

    @Test
    void invalidEmail() {
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-7",
                referralEvent("MAIL-1", "not-an-email")), 422, "invalid_field", "email"));
    }

    @Test
    void unknownCampaign() {
        String event = referralEvent("CAMP-1", "x@example.com").replace("\"id\": 17", "\"id\": 99");
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-8", event),
                422, "unknown_campaign", "99"));
    }

    @Test
    void otherEventTypes() {
        String event = referralEvent("TYPE-2", "x@example.com").replace("referral.joined", "reward.issued");
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-bad-9", event),
                422, "unsupported_event_type", "reward.issued"));
    }

    @Test
    void wrongSignature() {
        byte[] body = referralEvent("SIG-1", "x@example.com").getBytes(StandardCharsets.UTF_8);
        refusedWithoutWriting(() -> assertRefused(bridge.post("/webhooks/referrals", body, Map.of(
                "Content-Type", "application/json", "webhook-id", "evt-sig-1",
                "webhook-timestamp", String.valueOf(Instant.now().getEpochSecond()),
                "webhook-signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")),
                401, "invalid_signature", "No webhook-signature matches"));
    }

    @Test
    void bodyChangedAfterSigning() {
        long ts = Instant.now().getEpochSecond();
        byte[] signed = referralEvent("SIG-2", "x@example.com").getBytes(StandardCharsets.UTF_8);
        String sig = WebhookVerifier.sign(java.util.Base64.getDecoder().decode(
                BridgeUnderTest.WEBHOOK_SECRET.substring(6)), "evt-sig-2", ts, signed);
        byte[] tampered = referralEvent("SIG-2", "attacker@example.com").getBytes(StandardCharsets.UTF_8);
        refusedWithoutWriting(() -> assertRefused(bridge.post("/webhooks/referrals", tampered, Map.of(
                "Content-Type", "application/json", "webhook-id", "evt-sig-2", "webhook-timestamp",
                String.valueOf(ts), "webhook-signature", "v1," + sig)), 401, "invalid_signature", "matches"));
    }

    @Test
    void missingSignature() {
        byte[] body = referralEvent("SIG-3", "x@example.com").getBytes(StandardCharsets.UTF_8);
        refusedWithoutWriting(() -> assertRefused(bridge.post("/webhooks/referrals", body,
                Map.of("Content-Type", "application/json")), 401, "missing_signature", "webhook-signature"));
    }

    @Test
    void staleTimestampIsAReplay() {
        byte[] body = referralEvent("OLD-1", "x@example.com").getBytes(StandardCharsets.UTF_8);
        long tenMinutesAgo = Instant.now().getEpochSecond() - 600;
        refusedWithoutWriting(() -> assertRefused(bridge.sendSigned("evt-old-1", tenMinutesAgo, body,
                "application/json"), 401, "stale_timestamp", "300 seconds"));
    }

    @Test
    void futureTimestamp() {
        byte[] body = referralEvent("NEW-1", "x@example.com").getBytes(StandardCharsets.UTF_8);
        long inAnHour = Instant.now().getEpochSecond() + 3600;
        refusedWithoutWriting(() -> assertRefused(bridge.sendSigned("evt-new-1", inAnHour, body,
                "application/json"), 401, "stale_timestamp", "seconds"));
    }

    @Test
    void oversizedBody() {
        String padding = "x".repeat(70_000);
        String event = referralEvent("BIG-1", "x@example.com").replace("\"other\"", "\"other\"")
                .replace("\"service_needed\": \"AC not cooling\"", "\"service_needed\": \"" + padding + "\"");
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-big-1", event),
                413, "payload_too_large", "limit is 65536"));
    }

    @Test
    void wrongContentType() {
        byte[] body = referralEvent("CT-1", "x@example.com").getBytes(StandardCharsets.UTF_8);
        refusedWithoutWriting(() -> assertRefused(bridge.sendSigned("evt-ct-1", Instant.now().getEpochSecond(),
                body, "text/plain"), 415, "unsupported_media_type", "text/plain"));
    }

    @Test
    void deeplyNestedJson() {
        String nested = "{\"a\":".repeat(100) + "1" + "}".repeat(100);
        refusedWithoutWriting(() -> assertRefused(bridge.sendWebhook("evt-deep-1", nested),
                400, "malformed_json", "nesting"));
    }

    @Test
    void adminEndpointsNeedTheToken() {
        HttpResponse<String> none = bridge.get("/admin/dead-letters", Map.of());
        assertRefused(none, 401, "unauthorized", "Bearer");
        HttpResponse<String> wrong = bridge.get("/admin/dead-letters", Map.of("Authorization", "Bearer nope"));
        assertRefused(wrong, 403, "forbidden", "not valid");
        assertEquals(200, bridge.get("/admin/dead-letters", bridge.admin()).statusCode());
    }
}
