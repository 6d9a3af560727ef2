package io.referralbridge.intake;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The hostile corpus in src/test/resources/hostile (cases.csv names each body file, how it is sent and the answer
 * expected): every request gets its 4xx with a JSON {error, detail}, never a 5xx, and the database is unchanged.
 */
class HostileInputTest {

    static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of(), started -> bridge = started);

    record Case(String file, String contentType, String signing, int status, String error) {
        @Override
        public String toString() {
            return file;
        }
    }

    static List<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (String line : resource("hostile/cases.csv").split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(",", -1);
            out.add(Arguments.of(new Case(f[0], f[1], f[2], Integer.parseInt(f[3]), f[4])));
        }
        return out;
    }

    private static String resource(String name) throws IOException {
        return new String(bytes(name), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String name) throws IOException {
        try (InputStream in = HostileInputTest.class.getClassLoader().getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void theCorpusHasAtLeastNinetyRequests() throws IOException {
        assertTrue(cases().size() >= 90, "corpus size " + cases().size());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void refusedWithAClearErrorAndNoWrite(Case c) throws IOException {
        byte[] body = bytes("hostile/bodies/" + c.file());
        Map<String, Long> before = bridge.tableCounts();

        HttpResponse<String> answer = send(c, body);

        assertEquals(c.status(), answer.statusCode(), c.file() + ": " + answer.body());
        assertTrue(answer.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        JsonNode json = bridge.json(answer);
        assertEquals(c.error(), json.path("error").asText(), answer.body());
        assertFalse(json.path("detail").asText().isBlank(), "the detail says what is wrong");
        assertEquals(before, bridge.tableCounts(), c.file() + " must not write anything");
    }

    private HttpResponse<String> send(Case c, byte[] body) {
        String id = "evt-hostile-" + c.file();
        long now = Instant.now().getEpochSecond();
        byte[] key = Base64.getDecoder().decode(BridgeUnderTest.WEBHOOK_SECRET.substring(6));
        Map<String, String> headers = new LinkedHashMap<>();
        if (!c.contentType().isEmpty()) {
            headers.put("Content-Type", c.contentType());
        }
        long ts = switch (c.signing()) {
            case "stale" -> now - 3600;
            case "future" -> now + 3600;
            case "min-long" -> Long.MIN_VALUE + now; // Math.abs(now - ts) overflowed to a negative number here
            case "max-long" -> Long.MAX_VALUE;
            default -> now;
        };
        String signature = "v1," + WebhookVerifier.sign(key, id, ts, body);
        switch (c.signing()) {
            case "none" -> {
                return bridge.post("/webhooks/referrals", body, headers);
            }
            case "forged" -> signature = "v1," + Base64.getEncoder().encodeToString(new byte[32]);
            case "other-secret" -> signature = "v1," + WebhookVerifier.sign(
                    "another-secret-0123456789".getBytes(StandardCharsets.UTF_8), id, ts, body);
            case "v2" -> signature = signature.replace("v1,", "v2,");
            case "other-body" -> signature = "v1," + WebhookVerifier.sign(key, id, ts,
                    "{\"type\":\"referral.joined\"}".getBytes(StandardCharsets.UTF_8));
            default -> {
                // valid, stale, future: signed correctly for their timestamp
            }
        }
        if (c.signing().equals("query")) {
            // platform-http turns query parameters into headers: a signature given there must not count
            String q = "?webhook-id=" + enc(id) + "&webhook-timestamp=" + ts + "&webhook-signature=" + enc(signature);
            return bridge.post("/webhooks/referrals" + q, body, headers);
        }
        if (c.signing().equals("twice")) {
            return raw(body, c.contentType(), "webhook-id", id, "webhook-timestamp", String.valueOf(ts),
                    "webhook-signature", signature, "webhook-signature", "v1," + Base64.getEncoder().encodeToString(
                            new byte[32]));
        }
        headers.put("webhook-id", id);
        headers.put("webhook-timestamp", c.signing().equals("text-timestamp") ? "yesterday" : String.valueOf(ts));
        headers.put("webhook-signature", signature);
        return bridge.post("/webhooks/referrals", body, headers);
    }

    private static String enc(String s) {
        return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A webhook with headers given as name, value pairs: a name may repeat. */
    private HttpResponse<String> raw(byte[] body, String contentType, String... headers) {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://127.0.0.1:" + bridge.port + "/webhooks/referrals"))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).header("Content-Type", contentType);
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1).build()
                    .send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
