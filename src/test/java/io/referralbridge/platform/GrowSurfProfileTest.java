package io.referralbridge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.intake.WebhookVerifier;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** GrowSurf: docs/platforms/growsurf.md's configuration against the sandbox's GrowSurf mode. */
class GrowSurfProfileTest extends PlatformProfileTest {

    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings("docs/platforms/growsurf.md", "/v2"), b -> {
        bridge = b;
        b.platform.mode("growsurf");
    });

    @Override
    BridgeUnderTest bridge() {
        return bridge;
    }

    @Override
    String join(String participant, String email) {
        return """
                {"event": "NEW_PARTICIPANT_ADDED", "createdAt": 1764500000000,
                 "data": {"id": "%s", "email": "%s", "firstName": "Dana", "lastName": "Whitfield",
                  "shareUrl": "https://acme.example.com?grsf=%s", "referralStatus": "CREDIT_PENDING",
                  "referredBy": "r8k2mq", "referrer": {"id": "r8k2mq", "email": "sam.ortiz@example.com",
                  "firstName": "Sam", "lastName": "Ortiz"}, "metadata": {"phone": "+1 555 0100"}}}
                """.formatted(participant, email, participant);
    }

    @Override
    String otherEvent(String participant) {
        return """
                {"event": "PARTICIPANT_REACHED_A_GOAL", "createdAt": 1764500000000,
                 "data": {"participant": {"id": "%s", "email": "x@example.com"}, "reward": {"approved": true}}}
                """.formatted(participant);
    }

    @Override
    String[] foreignCall() {
        return new String[] {"PUT", "/api/v2/users/qualification"};
    }

    @Override
    Map<String, String> signed(byte[] body, String secret) {
        String ts = String.valueOf(System.currentTimeMillis());
        return Map.of("GrowSurf-Signature", "ts=" + ts + ",v=" + WebhookVerifier.hexHmac(
                secret.getBytes(StandardCharsets.UTF_8), ts + ".", body));
    }

    @Override
    String code(String participant) {
        return participant;
    }

    @Override
    String qualifyPath(String participant) {
        return "POST /v2/campaign/p7x3kq/participant/" + participant + "/ref";
    }

    @Override
    void checkQualifyBody(JsonNode body) {
        assertEquals(30, body.path("delayInDays").asInt(), "the doc's reward hold: " + body);
    }

    @Test
    void aParticipantNobodyReferredIsNotBooked() {
        String signup = """
                {"event": "NEW_PARTICIPANT_ADDED", "createdAt": 1764500000000,
                 "data": {"id": "organic1", "email": "organic@example.com", "firstName": "Olu", "referredBy": null,
                  "shareUrl": "https://acme.example.com?grsf=organic1"}}
                """;
        var answer = send(signup, SECRET);
        assertEquals(200, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("nobody referred"), answer.body());
        assertTrue(bridge.query("SELECT 1 FROM referral WHERE code = 'organic1'").isEmpty());
    }

    @Test
    void aStaleSignatureIsRefused() {
        byte[] body = join("stale1", "stale@example.com").getBytes(StandardCharsets.UTF_8);
        String ts = String.valueOf(System.currentTimeMillis() - 3_600_000);
        var answer = bridge.post("/webhooks/referrals", body, Map.of("Content-Type", "application/json",
                "GrowSurf-Signature", "ts=" + ts + ",v=" + WebhookVerifier.hexHmac(
                        SECRET.getBytes(StandardCharsets.UTF_8), ts + ".", body)));
        assertEquals(401, answer.statusCode(), answer.body());
        assertTrue(answer.body().contains("stale_timestamp"), answer.body());
    }
}
