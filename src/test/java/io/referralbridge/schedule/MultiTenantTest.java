package io.referralbridge.schedule;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.support.BridgeUnderTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two ServiceTitan tenants (two sandboxes, each with its own credentials) on one bridge: each referral is booked in
 * its campaign's tenant, each tenant is polled with its own token and continuation tokens, and a tenant that fails
 * holds up neither the other's bookings nor its qualifications.
 */
class MultiTenantTest {

    static final String SOUTH_TENANT = "5151";
    ServiceTitanSandbox south;
    BridgeUnderTest bridge;

    @BeforeEach
    void start() {
        south = ServiceTitanSandbox.start(new ServiceTitanSandbox.Options(0, SOUTH_TENANT, "south-app-key",
                "south-client", "south-client-secret", 900, 500));
        Map<String, String> p = new HashMap<>();
        p.put("servicetitan.connections", "south, north");
        // north: the bridge's own sandbox, URLs from the shared servicetitan.* settings
        p.put("servicetitan.connection.north.tenant-id", BridgeUnderTest.TENANT);
        p.put("servicetitan.connection.north.app-key", BridgeUnderTest.APP_KEY);
        p.put("servicetitan.connection.north.client-id", BridgeUnderTest.CLIENT_ID);
        p.put("servicetitan.connection.north.client-secret", BridgeUnderTest.CLIENT_SECRET);
        p.put("servicetitan.connection.north.campaigns", "17, 18, 19, 20");
        p.put("servicetitan.connection.south.auth-url", south.baseUrl() + "/connect/token");
        p.put("servicetitan.connection.south.api-url", south.baseUrl());
        p.put("servicetitan.connection.south.tenant-id", SOUTH_TENANT);
        p.put("servicetitan.connection.south.app-key", "south-app-key");
        p.put("servicetitan.connection.south.client-id", "south-client");
        p.put("servicetitan.connection.south.client-secret", "south-client-secret");
        p.put("servicetitan.connection.south.campaigns", "21");
        p.put("servicetitan.connection.south.booking-provider", "77");
        p.put("servicetitan.connection.south.poll-trigger", "trigger.repeatInterval=300");
        p.put("servicetitan.connection.south.token-refresh-margin-seconds", "899"); // a new token every second
        p.put("bridge.campaign.21.booking-provider", ""); // the connection's provider applies
        p.put("bridge.campaign.21.review", "false");
        // A failing tenant's booking must outlast the test's steps (the default test window is about one second).
        p.put("bridge.retry.max-redeliveries", "30");
        bridge = BridgeUnderTest.start(p);
    }

    @AfterEach
    void stop() {
        bridge.close();
        south.close();
    }

    @Test
    void eachReferralIsBookedAndQualifiedInItsOwnTenant() {
        send("NORTH-1", 17);
        send("SOUTH-1", 21);
        bridge.awaitState("NORTH-1", "booked");
        bridge.awaitState("SOUTH-1", "booked");
        assertEquals(1, bridge.sandbox.bookingsWithExternalId("NORTH-1").size());
        assertEquals(0, bridge.sandbox.bookingsWithExternalId("SOUTH-1").size(), "south referral not in north");
        assertEquals(1, south.bookingsWithExternalId("SOUTH-1").size());
        assertEquals(0, south.bookingsWithExternalId("NORTH-1").size());
        assertEquals(77, south.bookingsWithExternalId("SOUTH-1").get(0).path("bookingProviderId").asLong(),
                "the south connection's booking provider");

        complete(bridge.sandbox, "NORTH-1");
        complete(south, "SOUTH-1");
        bridge.awaitState("NORTH-1", "platform_notified");
        bridge.awaitState("SOUTH-1", "platform_notified");
        assertEquals(1, bridge.platform.deliveries("NORTH-1"));
        assertEquals(1, bridge.platform.deliveries("SOUTH-1"));
        // Each tenant is read from its own continuation tokens.
        assertEquals(6L, bridge.query("SELECT count(*) AS n FROM poll_cursor").get(0).get("n"));
    }

    @Test
    void aFailingTenantDoesNotStallTheOther() {
        south.injectFault(Fault.status(null, "/v2/tenant/", 503, Integer.MAX_VALUE));
        send("SOUTH-2", 21);
        send("NORTH-2", 17);
        bridge.awaitState("NORTH-2", "booked");
        complete(bridge.sandbox, "NORTH-2");
        bridge.awaitState("NORTH-2", "platform_notified");
        assertEquals(0, south.bookingsWithExternalId("SOUTH-2").size());
        assertTrue(!"booked".equals(bridge.referral("SOUTH-2").get("state")), "south cannot book while failing");

        var now = bridge.post("/admin/poll?connection=south", new byte[0], bridge.admin());
        assertEquals(502, now.statusCode(), now.body());
        assertEquals("upstream_failed", bridge.json(now).path("error").asText(), now.body());
        assertEquals(200, bridge.post("/admin/poll?connection=north", new byte[0], bridge.admin()).statusCode());

        // "Poll now" for all connections polls north although south, listed first, fails; and says which failed.
        assertEquals(200, bridge.post("/admin/poll/pause?connection=north", new byte[0], bridge.admin()).statusCode());
        send("NORTH-3", 17);
        bridge.awaitState("NORTH-3", "booked");
        complete(bridge.sandbox, "NORTH-3");
        var all = bridge.post("/admin/poll", new byte[0], bridge.admin());
        assertEquals(502, all.statusCode(), all.body());
        String detail = bridge.json(all).path("detail").asText();
        assertTrue(detail.startsWith("Poll failed for connection 'south' (ServiceTitan answered 503"), detail);
        assertTrue(detail.endsWith("; polled: north"), detail);
        bridge.awaitState("NORTH-3", "platform_notified");
        assertEquals(200, bridge.post("/admin/poll/resume?connection=north", new byte[0], bridge.admin()).statusCode());

        south.clearFaults();
        BridgeUnderTest.await("south books once it recovers", Duration.ofSeconds(30),
                () -> "booked".equals(bridge.referral("SOUTH-2").get("state")));
        assertEquals(1, south.bookingsWithExternalId("SOUTH-2").size());
    }

    @Test
    void aTenantWithoutTokensLeavesTheNodeReady() {
        south.injectFault(Fault.status("POST", "/connect/token", 500, Integer.MAX_VALUE));
        BridgeUnderTest.await("south's token to be refused", Duration.ofSeconds(10), () -> {
            var ready = bridge.management("/observe/health/ready?data=true");
            return ready.body().contains("down: ");
        });
        var ready = bridge.management("/observe/health/ready?data=true");
        assertEquals(200, ready.statusCode(), "one tenant down keeps the node in the load balancer: " + ready.body());
        assertTrue(ready.body().matches("(?s).*\"connection.north\"\\s*:\\s*\"up\".*"), ready.body());

        bridge.sandbox.injectFault(Fault.status("POST", "/connect/token", 500, Integer.MAX_VALUE));
        bridge.sandbox.revokeTokens();
        bridge.restart(); // north's cached token gone too: now no tenant can be reached
        BridgeUnderTest.await("readiness down", Duration.ofSeconds(10),
                () -> bridge.management("/observe/health/ready").statusCode() == 503);
    }

    @Test
    void anOperatorPausesOneConnection() {
        assertEquals(200, bridge.post("/admin/poll/pause?connection=south", new byte[0], bridge.admin())
                .statusCode());
        send("SOUTH-3", 21);
        send("NORTH-3", 17);
        bridge.awaitState("SOUTH-3", "booked");
        bridge.awaitState("NORTH-3", "booked");
        complete(south, "SOUTH-3");
        complete(bridge.sandbox, "NORTH-3");
        bridge.awaitState("NORTH-3", "platform_notified");
        assertEquals("booked", bridge.referral("SOUTH-3").get("state"), "south is paused");
        assertEquals(404, bridge.post("/admin/poll/pause?connection=west", new byte[0], bridge.admin())
                .statusCode());
        assertEquals(200, bridge.post("/admin/poll/resume?connection=south", new byte[0], bridge.admin())
                .statusCode());
        bridge.awaitState("SOUTH-3", "platform_notified");
    }

    @Test
    void aConnectionTakenOutOfTheConfigurationStopsBeingPolled() {
        send("SOUTH-4", 21);
        bridge.awaitState("SOUTH-4", "booked");
        assertEquals(2L, bridge.query("SELECT count(*) AS n FROM qrtz_triggers").get(0).get("n"));
        bridge.restart(Map.of("servicetitan.connections", "north",
                "servicetitan.connection.north.campaigns", "17, 18, 19, 20, 21",
                "bridge.campaign.21.booking-provider", "42"));
        assertEquals(List.of("servicetitan-poll-north"), bridge.query("SELECT trigger_name FROM qrtz_triggers")
                .stream().map(r -> r.get("trigger_name")).toList());
        int before = south.requestCount("GET /crm/v2/tenant/{tenant}/export/bookings");
        bridge.awaitMore("bridge.poll.cycles", 3); // north's cycles go on meanwhile
        assertEquals(before, south.requestCount("GET /crm/v2/tenant/{tenant}/export/bookings"), "south not polled");
        // What was in progress with south is left where it is, and startup reports it (WARN with these counts).
        var referrals = bridge.main.getCamelContext().getRegistry().lookupByNameAndType("referralStore",
                io.referralbridge.intake.ReferralStore.class);
        assertEquals(Map.of("south", 1L), referrals.openInOtherConnections(List.of("north")));
    }

    private void send(String code, int campaign) {
        assertEquals(202, bridge.sendWebhook("evt-" + code, referralEvent(code, code.toLowerCase() + "@example.com",
                campaign)).statusCode());
    }


    private void complete(ServiceTitanSandbox tenant, String code) {
        long job = tenant.convertBooking(bridge.bookingId(code)).path("id").asLong();
        tenant.setJobStatus(job, "Completed");
    }
}
