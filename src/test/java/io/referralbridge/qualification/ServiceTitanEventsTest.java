package io.referralbridge.qualification;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The HMAC of a ServiceTitan event's body: Base64 or hex, with or without "sha256=", any of the rotation's keys. */
class ServiceTitanEventsTest {

    static final String KEY = "0123456789abcdef0123456789abcdef";
    static final byte[] BODY = "{\"specversion\":\"1.0\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void acceptsEitherEncodingAndAnyKeyOfARotation() {
        String base64 = ServiceTitanEvents.sign(KEY, BODY);
        String hex = HexFormat.of().formatHex(java.util.Base64.getDecoder().decode(base64));
        assertTrue(ServiceTitanEvents.signatureMatches(List.of(KEY), BODY, base64));
        assertTrue(ServiceTitanEvents.signatureMatches(List.of(KEY), BODY, hex.toUpperCase()));
        assertTrue(ServiceTitanEvents.signatureMatches(List.of(KEY), BODY, "sha256=" + hex));
        assertTrue(ServiceTitanEvents.signatureMatches(List.of("the-new-key-of-the-rotation-0123456", KEY), BODY,
                base64));
    }

    @Test
    void refusesAnotherKeyAnotherBodyAndGarbage() {
        String base64 = ServiceTitanEvents.sign(KEY, BODY);
        assertFalse(ServiceTitanEvents.signatureMatches(List.of("another-key-0123456789abcdef012345"), BODY, base64));
        assertFalse(ServiceTitanEvents.signatureMatches(List.of(KEY), "{}".getBytes(StandardCharsets.UTF_8), base64));
        assertFalse(ServiceTitanEvents.signatureMatches(List.of(KEY), BODY, null));
        assertFalse(ServiceTitanEvents.signatureMatches(List.of(KEY), BODY, "not base64 at all!"));
        assertFalse(ServiceTitanEvents.signatureMatches(List.of(KEY), BODY, ""));
    }
}
