package io.referralbridge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import org.junit.jupiter.api.Test;

/**
 * What every shipped platform profile must do, through the platform's sandbox mode (which accepts exactly that
 * platform's documented calls) with the worked configuration of docs/platforms/&lt;name&gt;.md: a signed webhook
 * accepted and a forged one refused; booked, qualified and told in the platform's shape; a lost answer read back
 * instead of told twice; a refusal dead-lettered. Each profile's test gives its platform's webhook and signature.
 */
abstract class PlatformProfileTest {

    static final String SECRET = "pl4tf0rm-webhook-secret-for-tests-0123456789";

    /** The properties block of the platform's doc, the secret as the environment gives it, and the sandbox as API. */
    static Map<String, String> settings(String doc, String apiPath) {
        Map<String, String> p = new HashMap<>();
        try {
            String text = Files.readString(Path.of(doc));
            int start = text.indexOf("```properties\n") + "```properties\n".length();
            java.util.Properties props = new java.util.Properties();
            props.load(new java.io.StringReader(text.substring(start, text.indexOf("```", start))));
            props.forEach((k, v) -> p.put((String) k, (String) v));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        assertTrue(p.containsKey("platform.profile"), "the doc's configuration block was read: " + p);
        p.put("bridge.webhook.secrets", SECRET);
        p.put("platform.base-url", "${platform}" + apiPath);
        // The test defaults' qualification body (with the milestone) is the standard profile's: here, the profile's own.
        p.put("platform.qualify.body", PlatformProfiles.load(p.get("platform.profile"))
                .getProperty("platform.qualify.body"));
        return p;
    }

    abstract BridgeUnderTest bridge();

    /** The platform's "a referred person joined" webhook for this participant (id) and email. */
    abstract String join(String participant, String email);

    /** Another event the platform sends to the same URL (not a referral); null when it sends none. */
    abstract String otherEvent(String participant);

    /** A fault that lets the platform do the notice and loses its answer. */
    Fault lostAnswer(String participant) {
        return new Fault("POST", participant, 502, null, 1, 0, true);
    }

    /** A call of another platform's API, which this platform's sandbox mode must refuse. */
    abstract String[] foreignCall();

    /** The platform's signature headers of this body with this secret. */
    abstract Map<String, String> signed(byte[] body, String secret);

    /** The bridge's referral code of this participant. */
    abstract String code(String participant);

    /** The path the platform's qualify call must have for this participant. */
    abstract String qualifyPath(String participant);

    /** Checks the body of the qualify call in the platform's shape. */
    abstract void checkQualifyBody(JsonNode body);

    HttpResponse<String> send(String body, String secret) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = new HashMap<>(signed(bytes, secret));
        headers.put("Content-Type", "application/json");
        return bridge().post("/webhooks/referrals", bytes, headers);
    }

    /** Joined, booked, the booking made a completed job with an invoice of 480.00: qualified. */
    void joinAndComplete(String participant, String email) {
        HttpResponse<String> joined = send(join(participant, email), SECRET);
        assertEquals(202, joined.statusCode(), joined.body());
        bridge().awaitState(code(participant), "booked");
        long booking = bridge().sandbox.bookingsWithExternalId(code(participant)).get(0).path("id").asLong();
        long job = bridge().sandbox.convertBooking(booking).path("id").asLong();
        bridge().sandbox.setInvoice(job, "480.00", "0.00");
        bridge().sandbox.setJobStatus(job, "Completed");
    }

    @Test
    void aSignedJoinIsAcceptedAForgedOneRefusedAndOtherEventsIgnored() {
        long before = bridge().count("referral");
        HttpResponse<String> forged = send(join("forged1", "forged@example.com"), "not-the-secret-at-all-0123456789");
        assertEquals(401, forged.statusCode(), forged.body());
        HttpResponse<String> unsigned = bridge().post("/webhooks/referrals",
                join("unsigned1", "unsigned@example.com").getBytes(StandardCharsets.UTF_8),
                Map.of("Content-Type", "application/json"));
        assertEquals(401, unsigned.statusCode(), unsigned.body());
        if (otherEvent("other1") != null) {
            HttpResponse<String> other = send(otherEvent("other1"), SECRET);
            assertEquals(200, other.statusCode(), other.body());
            assertTrue(other.body().contains("ignored"), other.body());
        }
        assertEquals(before, bridge().count("referral"), "nothing stored");

        HttpResponse<String> joined = send(join("accept1", "accept.one@example.com"), SECRET);
        assertEquals(202, joined.statusCode(), joined.body());
        bridge().awaitState(code("accept1"), "booked");
        HttpResponse<String> again = send(join("accept1", "accept.one@example.com"), SECRET);
        assertEquals(200, again.statusCode(), "a redelivery is the same referral: " + again.body());
        assertEquals(1, bridge().sandbox.bookingsWithExternalId(code("accept1")).size());
    }

    @Test
    void aQualifiedReferralIsToldInThePlatformsShapeOnce() {
        joinAndComplete("told1", "told.one@example.com");
        bridge().awaitState(code("told1"), "platform_notified");
        String participant = participantOf("told1");
        assertEquals(qualifyPath(participant), bridge().platform.lastPath(participant));
        checkQualifyBody(bridge().platform.lastBody(participant));
        assertEquals(1, bridge().platform.deliveries(participant));
        assertEquals(0, bridge().platform.duplicates());
    }

    @Test
    void aLostAnswerIsReadBackInsteadOfToldTwice() {
        String participant = participantOf("lost1");
        // The platform awards the credit and its answer is lost.
        bridge().platform.injectFault(lostAnswer(participant));
        joinAndComplete("lost1", "lost.one@example.com");
        bridge().awaitState(code("lost1"), "platform_notified");
        assertEquals(1, bridge().platform.deliveries(participant), "the read-back found it told");
        assertEquals(0, bridge().platform.duplicates());
    }

    @Test
    void aRefusalIsADeadLetter() {
        String participant = participantOf("refused1");
        bridge().platform.refuseCode(participant);
        joinAndComplete("refused1", "refused.one@example.com");
        BridgeUnderTest.await("the refusal dead-lettered", Duration.ofSeconds(30), () -> !bridge().query(
                "SELECT 1 FROM dead_letter d JOIN referral r ON r.id = d.referral_id WHERE r.code = ? "
                        + "AND d.route_id = 'notify-platform'", code("refused1")).isEmpty());
        Map<String, Object> letter = bridge().query("SELECT d.attempts, d.cause FROM dead_letter d JOIN referral r "
                + "ON r.id = d.referral_id WHERE r.code = ?", code("refused1")).get(0);
        assertEquals(1, ((Number) letter.get("attempts")).intValue(), "not retried: " + letter);
        assertNotNull(letter.get("cause"));
    }

    @Test
    void theSandboxTakesOnlyThisPlatformsCalls() throws Exception {
        String[] call = foreignCall();
        var request = java.net.http.HttpRequest.newBuilder(java.net.URI.create(bridge().platform.baseUrl() + call[1]))
                .header("Authorization", "Bearer " + BridgeUnderTest.PLATFORM_KEY)
                .header("Content-Type", "application/json")
                .method(call[0], java.net.http.HttpRequest.BodyPublishers.ofString("{\"code\": \"X-1\"}")).build();
        int status = java.net.http.HttpClient.newHttpClient().send(request,
                java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
        assertEquals(404, status, call[0] + " " + call[1] + " is another platform's call");
    }

    /** The platform's id of the participant (the id in its URLs). */
    String participantOf(String participant) {
        return participant;
    }
}
