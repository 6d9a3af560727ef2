package io.referralbridge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.intake.WebhookVerifier;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ReferralHero: docs/platforms/referralhero.md's configuration against the sandbox's ReferralHero mode. */
class ReferralHeroProfileTest extends PlatformProfileTest {

    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings("docs/platforms/referralhero.md", "/api/v2"),
            b -> {
                bridge = b;
                b.platform.mode("referralhero");
            });

    @Override
    BridgeUnderTest bridge() {
        return bridge;
    }

    @Override
    String join(String participant, String email) {
        return """
                {"response": "new_registration", "list_uuid": "MF4d2c8e1a7b", "subscriber_id": "sub_%s",
                 "name": "Dana Whitfield", "first_name": "Dana", "last_name": "Whitfield", "email": "%s",
                 "code": "RH-%s", "referral_link": "https://refer.example.com/r/RH-%s", "referred": true,
                 "referral": {"name": "Sam Ortiz", "email": "sam.ortiz@example.com", "code": "SAM-1",
                  "people_referred": 3, "points": 0},
                 "extra_field": "12 Elm St", "created_at": 1764500000}
                """.formatted(participant, email, participant, participant);
    }

    @Override
    String otherEvent(String participant) {
        return """
                {"response": "reward_unlocked", "list_uuid": "MF4d2c8e1a7b", "subscriber_id": "sub_%s",
                 "email": "x@example.com"}
                """.formatted(participant);
    }

    @Override
    String[] foreignCall() {
        return new String[] {"POST", "/v2/campaign/p7x3kq/participant/x/ref"};
    }

    @Override
    Map<String, String> signed(byte[] body, String secret) {
        return Map.of("X-ReferralHero-Signature", WebhookVerifier.hexHmac(secret.getBytes(StandardCharsets.UTF_8), "",
                body));
    }

    @Override
    String code(String participant) {
        return "RH-" + participant;
    }

    @Override
    String participantOf(String participant) {
        return "sub_" + participant;
    }

    @Override
    String qualifyPath(String participant) {
        return "POST /api/v2/lists/MF4d2c8e1a7b/subscribers/" + participant + "/qualify";
    }

    @Override
    void checkQualifyBody(JsonNode body) {
        assertEquals("480.00", body.path("conversion_value").decimalValue().setScale(2).toPlainString(),
                "the revenue of the referred job: " + body);
    }

    @Test
    void aBase64SignatureIsAcceptedToo() {
        byte[] body = join("b64one", "b64@example.com").getBytes(StandardCharsets.UTF_8);
        byte[] mac = java.util.HexFormat.of().parseHex(WebhookVerifier.hexHmac(
                SECRET.getBytes(StandardCharsets.UTF_8), "", body));
        var answer = bridge.post("/webhooks/referrals", body, Map.of("Content-Type", "application/json",
                "X-ReferralHero-Signature", java.util.Base64.getEncoder().encodeToString(mac)));
        assertEquals(202, answer.statusCode(), answer.body());
    }
}
