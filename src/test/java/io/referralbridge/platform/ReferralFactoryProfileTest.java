package io.referralbridge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Referral Factory: docs/platforms/referral-factory.md's configuration (profile referral-factory) against the sandbox's
 * Referral Factory mode: its unsigned "User joins" webhook with a secret header, told through its API.
 */
class ReferralFactoryProfileTest extends PlatformProfileTest {

    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings("docs/platforms/referral-factory.md", ""), b -> {
        bridge = b;
        b.platform.mode("referral-factory");
    });

    @Override
    BridgeUnderTest bridge() {
        return bridge;
    }

    @Override
    String join(String participant, String email) {
        return """
                {"id": %d, "first_name": "Dana", "last_name": "Whitfield", "email": "%s", "phone": "+1 555 0100",
                 "code": "%s", "url": "https://refer.example.com/r/%s", "campaign_id": 17,
                 "referrer_first_name": "Sam", "referrer_last_name": "Ortiz", "referrer_email": "sam.ortiz@example.com",
                 "service_needed": "AC not cooling"}
                """.formatted(Math.abs(participant.hashCode()), email, code(participant), code(participant));
    }

    @Override
    String otherEvent(String participant) {
        return null; // only "User joins" is sent to the bridge's URL
    }

    @Override
    Fault lostAnswer(String participant) {
        return new Fault("PUT", "/api/v2/users/qualification", 502, null, 1, 0, true);
    }

    @Override
    String[] foreignCall() {
        return new String[] {"POST", "/v2/campaign/p7x3kq/participant/x/ref"};
    }

    @Override
    Map<String, String> signed(byte[] body, String secret) {
        return Map.of("X-Bridge-Secret", secret);
    }

    @Override
    String code(String participant) {
        return "RF-" + participant.toUpperCase();
    }

    @Override
    String participantOf(String participant) {
        return code(participant);
    }

    @Override
    String qualifyPath(String participant) {
        return "PUT /api/v2/users/qualification";
    }

    @Override
    void checkQualifyBody(JsonNode body) {
        assertTrue(body.path("qualified").asBoolean(), body.toString());
        assertEquals(2, body.size(), "Referral Factory's {code, qualified}: " + body);
    }
}
