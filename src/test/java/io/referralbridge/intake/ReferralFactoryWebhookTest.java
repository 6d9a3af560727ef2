package io.referralbridge.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Referral Factory's real outbound webhook (unsigned, a secret in a custom header, the admin's field names), with the
 * worked configuration read from docs/platforms/referral-factory.md, so the documentation cannot rot.
 */
class ReferralFactoryWebhookTest {

    static final String SECRET = "4f1c9a7e2b8d6053e1a9c4b7f2d8e6a1c3b5d7f9e1a2b4c6d8e0f1a3b5c7d9e2";
    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings(), b -> bridge = b);

    /** The properties block of the doc, and the secret as the environment would give it. */
    static Map<String, String> settings() {
        Map<String, String> p = new HashMap<>();
        try {
            String doc = Files.readString(Path.of("docs/platforms/referral-factory.md"));
            int start = doc.indexOf("```properties\n") + "```properties\n".length();
            String block = doc.substring(start, doc.indexOf("```", start));
            java.util.Properties props = new java.util.Properties();
            props.load(new java.io.StringReader(block));
            props.forEach((k, v) -> p.put((String) k, (String) v));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        assertTrue("referral-factory".equals(p.get("platform.profile")), "the doc's configuration block was read: "
                + p);
        p.put("bridge.webhook.secrets", SECRET);
        return p;
    }

    static String join(long id, String code) {
        return """
                {"id": %d, "first_name": "Dana", "last_name": "Whitfield", "email": "dana.%s@example.com",
                 "phone": "+1 555 0100", "code": "%s", "url": "https://refer.example.com/r/%s", "campaign_id": 17,
                 "referrer_first_name": "Sam", "referrer_last_name": "Ortiz", "referrer_email": "sam.ortiz@example.com",
                 "street": "12 Elm St", "city": "Tulsa", "state": "OK", "zip": "74103",
                 "service_needed": "AC not cooling"}
                """.formatted(id, code.toLowerCase(), code, code);
    }

    private static java.net.http.HttpResponse<String> send(String body, String secret) {
        Map<String, String> headers = new HashMap<>(Map.of("Content-Type", "application/json"));
        if (secret != null) {
            headers.put("X-Bridge-Secret", secret);
        }
        return bridge.post("/webhooks/referrals", body.getBytes(StandardCharsets.UTF_8), headers);
    }

    @Test
    void aJoinWithTheSecretHeaderIsBookedWithTheAdminsFieldNames() {
        var first = send(join(52311, "RF-JOIN-1"), SECRET);
        assertEquals(202, first.statusCode(), first.body());
        bridge.awaitState("RF-JOIN-1", "booked");
        var booking = bridge.sandbox.bookingsWithExternalId("RF-JOIN-1").get(0);
        assertEquals("Dana Whitfield", booking.path("name").asText());
        assertEquals("12 Elm St", booking.path("address").path("street").asText());
        assertTrue(booking.path("summary").asText().startsWith("AC not cooling"), booking.toString());
        assertTrue(booking.path("summary").asText().contains("Referred by: Sam Ortiz"), booking.toString());

        // Referral Factory retries what got no 2xx: the same user id is the same event.
        var again = send(join(52311, "RF-JOIN-1"), SECRET);
        assertEquals(200, again.statusCode(), again.body());
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("RF-JOIN-1").size());
    }

    @Test
    void aForgedOrMissingSecretIsRefusedAndNothingIsStored() {
        var forged = send(join(52312, "RF-FORGED"), SECRET.substring(1) + "0");
        assertEquals(401, forged.statusCode());
        assertTrue(forged.body().contains("invalid_signature"), forged.body());
        assertEquals(401, send(join(52312, "RF-FORGED"), null).statusCode());
        assertEquals(0, bridge.query("SELECT 1 FROM referral WHERE code = 'RF-FORGED'").size());
    }
}
