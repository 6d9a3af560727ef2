package io.referralbridge.sandbox;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.support.BridgeUnderTest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The demo a newcomer runs survives a restart: the dev sandboxes keep their state in the embedded database, so ids go
 * on from where they were and the bridge's stored poll position still matches the sandbox's feeds.
 */
class DevSandboxRestartTest {

    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();

    @Test
    void bookingsJobsAndFeedsOutliveARestart() throws Exception {
        try (BridgeUnderTest bridge = BridgeUnderTest.startWithDevSandboxes()) {
            bridge.sendWebhook("evt-before", BridgeUnderTest.referralEvent("BEFORE-1", "before@example.com", 18));
            bridge.awaitState("BEFORE-1", "booked");
            long firstBooking = bridge.bookingId("BEFORE-1");

            bridge.restart();

            // The call centre converts the booking made before the restart: the sandbox still knows it, and the
            // bridge's poll (which resumed from its stored position) sees the job.
            control(bridge, "POST", "/sandbox/bookings/" + firstBooking + "/convert");
            bridge.awaitState("BEFORE-1", "platform_notified");

            bridge.sendWebhook("evt-after", BridgeUnderTest.referralEvent("AFTER-1", "after@example.com", 18));
            bridge.awaitState("AFTER-1", "booked");
            assertTrue(bridge.bookingId("AFTER-1") > firstBooking, "ids go on after the restart");

            List<String> bookings = new ArrayList<>();
            for (JsonNode b : control(bridge, "GET", "/sandbox/bookings")) {
                bookings.add(b.path("externalId").asText() + ":" + b.path("status").asText());
            }
            assertEquals(List.of("BEFORE-1:Converted", "AFTER-1:New"), bookings);
            assertEquals(0, bridge.count("dead_letter"));
        }
    }

    private JsonNode control(BridgeUnderTest bridge, String method, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(bridge.devSandboxUrl() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(r.statusCode() < 300, method + " " + path + ": " + r.body());
        return json.readTree(r.body());
    }
}
