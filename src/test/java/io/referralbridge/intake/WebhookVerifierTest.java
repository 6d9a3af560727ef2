package io.referralbridge.intake;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;

import io.referralbridge.config.ConfigurationException;
import io.referralbridge.web.HttpProblem;
import org.junit.jupiter.api.Test;

class WebhookVerifierTest {

    static final String OLD = "whsec_" + Base64.getEncoder().encodeToString("old-secret-0123456789".getBytes());
    static final String NEW = "whsec_" + Base64.getEncoder().encodeToString("new-secret-0123456789".getBytes());
    static final long NOW = 1_800_000_000L;
    static final byte[] BODY = "{\"a\":1}".getBytes(StandardCharsets.UTF_8);

    private static WebhookVerifier verifier(List<String> secrets) {
        return new WebhookVerifier(WebhookVerifier.SCHEME_STANDARD, secrets, "X", 300, 1000,
                Clock.fixed(Instant.ofEpochSecond(NOW), ZoneOffset.UTC));
    }

    private static String sig(String secret, long ts) {
        return "v1," + WebhookVerifier.sign(WebhookVerifier.decodeSecret(secret), "msg_1", ts, BODY);
    }

    @Test
    void acceptsEitherSecretDuringARotation() {
        WebhookVerifier v = verifier(List.of(OLD, NEW));
        assertDoesNotThrow(() -> v.verifyStandard("msg_1", String.valueOf(NOW), sig(OLD, NOW), BODY));
        assertDoesNotThrow(() -> v.verifyStandard("msg_1", String.valueOf(NOW), sig(NEW, NOW), BODY));
    }

    @Test
    void acceptsWhenAnyListedSignatureMatches() {
        WebhookVerifier v = verifier(List.of(NEW));
        String header = "v1,bm90LWl0 " + sig(NEW, NOW);
        assertDoesNotThrow(() -> v.verifyStandard("msg_1", String.valueOf(NOW), header, BODY));
    }

    @Test
    void refusesARetiredSecret() {
        WebhookVerifier v = verifier(List.of(NEW));
        HttpProblem p = assertThrows(HttpProblem.class,
                () -> v.verifyStandard("msg_1", String.valueOf(NOW), sig(OLD, NOW), BODY));
        assertEquals("invalid_signature", p.error());
    }

    @Test
    void signatureCoversTheEventId() {
        WebhookVerifier v = verifier(List.of(NEW));
        assertThrows(HttpProblem.class, () -> v.verifyStandard("msg_2", String.valueOf(NOW), sig(NEW, NOW), BODY));
    }

    @Test
    void timestampToleranceIsInclusive() {
        WebhookVerifier v = verifier(List.of(NEW));
        assertDoesNotThrow(() -> v.verifyStandard("msg_1", String.valueOf(NOW - 300), sig(NEW, NOW - 300), BODY));
        HttpProblem p = assertThrows(HttpProblem.class,
                () -> v.verifyStandard("msg_1", String.valueOf(NOW - 301), sig(NEW, NOW - 301), BODY));
        assertEquals("stale_timestamp", p.error());
    }

    @Test
    void sharedSecretHeaderScheme() {
        WebhookVerifier v = new WebhookVerifier(WebhookVerifier.SCHEME_SHARED_SECRET,
                List.of("s3cret-value-0123456"), "X-Webhook-Secret", 300, 1000, Clock.systemUTC());
        assertDoesNotThrow(() -> v.verifySharedSecret("s3cret-value-0123456"));
        assertEquals("Invalid setting 'bridge.webhook.secrets': a secret must be at least 16 characters",
                assertThrows(ConfigurationException.class, () -> new WebhookVerifier(
                        WebhookVerifier.SCHEME_SHARED_SECRET, List.of("short"), "X", 300, 1000, Clock.systemUTC()))
                        .getMessage());
        assertEquals("invalid_signature", assertThrows(HttpProblem.class, () -> v.verifySharedSecret("nope")).error());
        assertEquals("missing_signature", assertThrows(HttpProblem.class, () -> v.verifySharedSecret(null)).error());
    }

    @Test
    void misconfigurationNamesTheSetting() {
        assertEquals("Invalid setting 'bridge.webhook.scheme' = 'none': expected one of standard-webhooks, "
                + "shared-secret-header, growsurf-signature, referralhero-signature, friendbuy-signature",
                assertThrows(ConfigurationException.class, () -> new WebhookVerifier("none",
                List.of(NEW), "X", 300, 1000, Clock.systemUTC())).getMessage());
        assertThrows(ConfigurationException.class, () -> verifier(List.of()));
        assertThrows(ConfigurationException.class, () -> verifier(List.of("whsec_c2hvcnQ=")));
    }

    @Test
    void theOtherPlatformsSignaturesAreCheckedOverTheRawBody() {
        byte[] key = "friendbuy-secret".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] body = "{\"type\":\"share\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        WebhookVerifier friendbuy = new WebhookVerifier(WebhookVerifier.SCHEME_FRIENDBUY, List.of("friendbuy-secret"),
                null, 300, 1000, Clock.systemUTC());
        String base64 = java.util.Base64.getEncoder().encodeToString(java.util.HexFormat.of().parseHex(
                WebhookVerifier.hexHmac(key, "", body)));
        friendbuy.verifyBodyHmac("X-Friendbuy-Hmac-SHA256", base64, body);
        assertThrows(io.referralbridge.web.HttpProblem.class, () -> friendbuy.verifyBodyHmac("X-Friendbuy-Hmac-SHA256",
                base64, "{\"type\":\"purchase\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        assertThrows(io.referralbridge.web.HttpProblem.class, () -> friendbuy.verifyBodyHmac("X-Friendbuy-Hmac-SHA256",
                null, body));

        WebhookVerifier growsurf = new WebhookVerifier(WebhookVerifier.SCHEME_GROWSURF, List.of("friendbuy-secret"),
                null, 300, 1000, Clock.systemUTC());
        String ts = String.valueOf(System.currentTimeMillis());
        growsurf.verifyGrowSurf("ts=" + ts + ",v=" + WebhookVerifier.hexHmac(key, ts + ".", body), body);
        assertThrows(io.referralbridge.web.HttpProblem.class, () -> growsurf.verifyGrowSurf("ts=" + ts + ",v="
                + WebhookVerifier.hexHmac(key, "1.", body), body), "the timestamp is signed too");
        assertThrows(io.referralbridge.web.HttpProblem.class, () -> growsurf.verifyGrowSurf("v="
                + WebhookVerifier.hexHmac(key, ".", body), body), "no timestamp");
    }
}
