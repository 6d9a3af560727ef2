package io.referralbridge.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.referralbridge.intake.WebhookVerifier;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.sandbox.platform.ReferralPlatformSandbox;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A contractor runs two programs: campaign 17 on the default platform (the standard contract) for customers, and a
 * GrowSurf program for partners (bridge.platforms = partners). Each intake path takes only its platform's signature
 * and campaigns, each referral remembers its platform, and each platform's notices go through its own queue: GrowSurf
 * failing delays none of the default platform's.
 */
class SeveralPlatformsTest {

    static final String PARTNER_SECRET = "partners-growsurf-webhook-secret-0123456789";
    private static final ReferralPlatformSandbox GROWSURF = ReferralPlatformSandbox.start(0,
            BridgeUnderTest.PLATFORM_KEY).mode("growsurf");
    private static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(settings(), b -> bridge = b);

    static Map<String, String> settings() {
        Map<String, String> p = new HashMap<>();
        p.put("bridge.campaigns", "17,p7x3kq");
        BridgeUnderTest.campaign(p, "p7x3kq", "qualification", "job_status", "qualify-statuses", "Completed");
        p.put("bridge.platforms", "partners");
        // A notice keeps retrying through the outage (the test defaults dead-letter after 4 retries).
        p.put("bridge.retry.max-redeliveries", "100");
        p.put("platform.partners.profile", "growsurf");
        p.put("platform.partners.campaigns", "p7x3kq");
        p.put("platform.partners.fields.campaign-default", "p7x3kq");
        p.put("platform.partners.webhook.secrets", PARTNER_SECRET);
        p.put("platform.partners.api-key", BridgeUnderTest.PLATFORM_KEY);
        p.put("platform.partners.base-url", GROWSURF.baseUrl() + "/v2");
        return p;
    }

    @AfterAll
    static void stopGrowSurf() {
        GROWSURF.close();
    }

    static String growSurfJoin(String id, String email) {
        return """
                {"event": "NEW_PARTICIPANT_ADDED", "createdAt": 1764500000000,
                 "data": {"id": "%s", "email": "%s", "firstName": "Pat", "lastName": "Okafor", "referredBy": "r8k2mq",
                  "referrer": {"id": "r8k2mq", "email": "partner@example.com", "firstName": "Sam"}}}
                """.formatted(id, email);
    }

    static java.net.http.HttpResponse<String> sendGrowSurf(String path, String body, String secret) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String ts = String.valueOf(System.currentTimeMillis());
        return bridge.post(path, bytes, Map.of("Content-Type", "application/json", "GrowSurf-Signature",
                "ts=" + ts + ",v=" + WebhookVerifier.hexHmac(secret.getBytes(StandardCharsets.UTF_8), ts + ".",
                        bytes)));
    }

    private static void complete(String code) {
        bridge.awaitState(code, "booked");
        long booking = bridge.sandbox.bookingsWithExternalId(code).get(0).path("id").asLong();
        long job = bridge.sandbox.convertBooking(booking).path("id").asLong();
        bridge.sandbox.setJobStatus(job, "Completed");
    }

    @Test
    void eachIntakePathTakesOnlyItsPlatformsSignatureAndCampaigns() {
        var partner = sendGrowSurf("/webhooks/referrals/partners", growSurfJoin("gs1", "pat.one@example.com"),
                PARTNER_SECRET);
        assertEquals(202, partner.statusCode(), partner.body());
        assertEquals("partners", bridge.referral("gs1").get("platform"));

        var wrongPath = sendGrowSurf("/webhooks/referrals", growSurfJoin("gs2", "pat.two@example.com"),
                PARTNER_SECRET);
        assertEquals(401, wrongPath.statusCode(), "the default platform signs with Standard Webhooks: "
                + wrongPath.body());
        var otherCampaign = bridge.sendWebhook("evt-SP-1", BridgeUnderTest.referralEvent("SP-1", "sp1@example.com")
                .replace("\"id\": 17", "\"id\": \"p7x3kq\""));
        assertEquals(422, otherCampaign.statusCode(), "p7x3kq is the partners' campaign: " + otherCampaign.body());
        var unknownPlatform = bridge.post("/webhooks/referrals/nobody", "{}".getBytes(StandardCharsets.UTF_8),
                Map.of("Content-Type", "application/json"));
        assertEquals(404, unknownPlatform.statusCode());

        assertEquals(202, bridge.sendWebhook("evt-SP-2", BridgeUnderTest.referralEvent("SP-2", "sp2@example.com"))
                .statusCode());
        assertEquals("default", bridge.referral("SP-2").get("platform"));

        // A code the other platform's referral holds already is refused, not taken for that referral.
        var clash = sendGrowSurf("/webhooks/referrals/partners", growSurfJoin("SP-2", "clash@example.com"),
                PARTNER_SECRET);
        assertEquals(409, clash.statusCode(), clash.body());
        assertTrue(clash.body().contains("belongs to a referral of platform default"), clash.body());
        assertEquals("default", bridge.referral("SP-2").get("platform"));

        // The dashboard and the export read each referral's referrer where its own platform puts it.
        String referrers = bridge.json(bridge.get("/api/reports/dashboard", bridge.admin())).path("top_referrers")
                .toString();
        assertTrue(referrers.contains("partner@example.com") && referrers.contains("sam.ortiz@example.com"), referrers);
        String csv = bridge.get("/api/exports/referrals.csv", bridge.admin()).body();
        assertTrue(csv.contains("gs1") && csv.contains("partner@example.com"), csv);
        // A platform taken out of the configuration: its referrals have no referrer there, and never their payload.
        bridge.query("UPDATE referral SET platform = 'gone' WHERE code = 'gs1' RETURNING id");
        try {
            String gone = bridge.get("/api/exports/referrals.csv", bridge.admin()).body();
            String line = gone.lines().filter(l -> l.startsWith("gs1,")).findFirst().orElseThrow();
            assertTrue(!line.contains("pat.one") && !line.contains("Okafor") && !line.contains("{"), line);
        } finally {
            bridge.query("UPDATE referral SET platform = 'partners' WHERE code = 'gs1' RETURNING id");
        }
    }

    @Test
    void oneFailingPlatformDelaysNoOthersNotices() {
        GROWSURF.injectFault(new Fault("POST", "/ref", 503, null, 1_000_000, 0, false));
        try {
            assertEquals(202, sendGrowSurf("/webhooks/referrals/partners", growSurfJoin("gs-out", "out@example.com"),
                    PARTNER_SECRET).statusCode());
            complete("gs-out");
            BridgeUnderTest.await("the partners' notice failing", Duration.ofSeconds(30),
                    () -> GROWSURF.deliveries("gs-out") == 0 && !bridge.query("SELECT 1 FROM outbox o JOIN referral r "
                            + "ON r.id = o.referral_id WHERE r.code = 'gs-out' AND o.kind = 'notify_platform' "
                            + "AND o.last_error IS NOT NULL").isEmpty());

            // Were the partners' platform removed from the configuration, startup would say what waits for it.
            var store = bridge.main.getCamelContext().getRegistry().lookupByNameAndType("referralStore",
                    io.referralbridge.intake.ReferralStore.class);
            assertEquals(Map.of("partners", 1L), store.noticesOfOtherPlatforms(java.util.List.of("default")));
            assertEquals(Map.of(), store.noticesOfOtherPlatforms(java.util.List.of("default", "partners")));

            // Meanwhile the default platform's referrals are told at once.
            for (int i = 0; i < 5; i++) {
                assertEquals(202, bridge.sendWebhook("evt-SP-OK-" + i, BridgeUnderTest.referralEvent("SP-OK-" + i,
                        "ok" + i + "@example.com")).statusCode());
                complete("SP-OK-" + i);
            }
            for (int i = 0; i < 5; i++) {
                bridge.awaitState("SP-OK-" + i, "platform_notified");
                assertEquals(1, bridge.platform.deliveries("SP-OK-" + i), "told on the default platform");
            }
            assertEquals(0, GROWSURF.deliveries("gs-out"));
        } finally {
            GROWSURF.clearFaults();
        }
        bridge.awaitState("gs-out", "platform_notified");
        assertEquals(1, GROWSURF.deliveries("gs-out"), "told on its own platform, once");
        assertEquals(0, bridge.platform.deliveries("gs-out"), "never on the other");
    }
}
