package io.referralbridge.ops;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What an operator watches and does: health, metrics, JMX through Jolokia, poll controls. */
class OperationsTest {

    static BridgeUnderTest bridge;

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of(), started -> bridge = started);

    @Test
    void healthIsUpWithTheBridgesOwnChecks() {
        HttpResponse<String> ready = bridge.management("/observe/health/ready");
        assertEquals(200, ready.statusCode(), ready.body());
        assertEquals("UP", bridge.json(ready).path("status").asText());
        assertTrue(ready.body().contains("database") && ready.body().contains("servicetitan-token")
                && ready.body().contains("intake"), ready.body());
        HttpResponse<String> live = bridge.management("/observe/health/live");
        assertEquals(200, live.statusCode(), live.body());
        assertTrue(live.body().contains("intake"), live.body());
    }

    @Test
    void routeCountsThroughJolokiaAndPrometheus() {
        assertEquals(202, bridge.sendWebhook("evt-ops-1", referralEvent("OPS-0001", "o@example.com")).statusCode());
        HttpResponse<String> jmx = bridge.management("/observe/jolokia/read/org.apache.camel:context=referral-bridge,"
                + "type=routes,name=%22referral-intake%22/ExchangesTotal");
        assertEquals(200, jmx.statusCode(), jmx.body());
        JsonNode read = bridge.json(jmx);
        assertEquals(200, read.path("status").asInt(), jmx.body());
        assertTrue(read.path("value").asLong() >= 1, jmx.body());

        HttpResponse<String> metrics = bridge.management("/observe/metrics");
        assertEquals(200, metrics.statusCode());
        assertTrue(metrics.body().lines().anyMatch(l -> l.startsWith("camel_exchanges_total")
                && l.contains("routeId=\"referral-intake\"") && !l.endsWith(" 0.0")), "intake exchanges counted");
    }

    @Test
    void businessMetrics() {
        assertEquals(202, bridge.sendWebhook("evt-met-1", referralEvent("MET-0001", "m@example.com")).statusCode());
        assertEquals(200, bridge.sendWebhook("evt-met-1", referralEvent("MET-0001", "m@example.com")).statusCode());
        assertEquals(400, bridge.sendWebhook("evt-met-2", "{").statusCode());
        bridge.awaitState("MET-0001", "booked");
        String m = bridge.management("/observe/metrics").body();
        assertMetric(m, "bridge_webhooks_total{outcome=\"accepted\"", 1);
        assertMetric(m, "bridge_webhooks_total{outcome=\"duplicate\"", 1);
        assertMetric(m, "bridge_webhooks_rejected_total{reason=\"malformed_json\"", 1);
        assertMetric(m, "bridge_referral_transitions_total{to=\"booked\"", 1);
        assertMetric(m, "bridge_servicetitan_calls_total{endpoint=\"POST /crm/v2/booking-provider/bookings\","
                + "status=\"200\"", 1);
        assertMetric(m, "bridge_outbox_pending{kind=\"create_booking\"", 0);
        assertTrue(m.contains("bridge_poll_lag_seconds{connection=\"default\"}"), "poll lag exported");
        assertMetric(m, "bridge_poll_cycles_total{connection=\"default\"", 1);
    }

    private static void assertMetric(String metrics, String prefix, double atLeast) {
        String line = metrics.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + prefix + " in\n" + metrics.lines()
                        .filter(l -> l.startsWith("bridge_")).toList()));
        double value = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        assertTrue(value >= atLeast, line);
    }

    @Test
    void theOperatorsTasksAreJmxOperationsThatJolokiaReaches() throws Exception {
        HttpResponse<String> search = bridge.management("/observe/jolokia/search/referral-bridge:type=operations,*");
        String mbean = bridge.json(search).path("value").path(0).asText();
        assertTrue(mbean.startsWith("referral-bridge:type=operations,name="), search.body());
        JsonNode paused = exec(mbean, "pausePolling", "default");
        assertEquals(200, paused.path("status").asInt(), paused.toString());
        assertEquals(Boolean.TRUE, bridge.query("SELECT paused FROM poll_control WHERE connection = 'default'").get(0)
                .get("paused"));
        JsonNode cycle = exec(mbean, "pollNow", "default");
        assertTrue(bridge.json(cycle.path("value").asText()).path("requests").asInt() >= 3, cycle.toString());
        exec(mbean, "resumePolling", "default");
        assertEquals(Boolean.FALSE, bridge.query("SELECT paused FROM poll_control WHERE connection = 'default'")
                .get(0).get("paused"));

        JsonNode list = exec(mbean, "listDeadLetters");
        assertTrue(bridge.json(list.path("value").asText()).has("deadLetters"), list.toString());
        JsonNode unknown = exec(mbean, "replayDeadLetter", 999999);
        assertTrue(unknown.path("error").asText().contains("No dead letter 999999"), unknown.toString());
    }

    @Test
    void anIntakeStoppedFromHawtioAnswers503AndUnknownPathsAreJson() throws Exception {
        var camel = bridge.main.getCamelContext();
        String intake = camel.getRoutes().stream().filter(r -> r.getEndpoint()
                instanceof org.apache.camel.component.platform.http.PlatformHttpEndpoint e
                && e.getPath().equals("/webhooks/referrals")).findFirst().orElseThrow().getRouteId();
        camel.getRouteController().stopRoute(intake);
        try {
            HttpResponse<String> stopped = bridge.sendWebhook("evt-stopped", BridgeUnderTest.referralEvent("STOP-1",
                    "stop@example.com"));
            assertEquals(503, stopped.statusCode(), "a platform retries a 503; a 404 may be final: " + stopped.body());
            assertTrue(stopped.body().startsWith("{") && stopped.headers().firstValue("Retry-After").isPresent(),
                    stopped.body());
        } finally {
            camel.getRouteController().startRoute(intake);
        }
        assertEquals(202, bridge.sendWebhook("evt-started", BridgeUnderTest.referralEvent("STOP-2",
                "stop2@example.com")).statusCode());

        HttpResponse<String> unknown = bridge.get("/webhooks/referrals/no-such-platform", Map.of());
        assertEquals(404, unknown.statusCode());
        assertTrue(unknown.body().contains("\"error\":\"not_found\""), unknown.body());
        HttpResponse<String> wrongMethod = bridge.get("/webhooks/referrals", Map.of());
        assertEquals(405, wrongMethod.statusCode());
        assertTrue(wrongMethod.body().contains("method_not_allowed"), wrongMethod.body());
        assertEquals(405, bridge.get("/webhooks/servicetitan/default", Map.of()).statusCode(), "a path template's");
    }

    /** A Jolokia exec as Hawtio sends it: POST with the management credential (GET may only read). */
    private static JsonNode exec(String mbean, String operation, Object... arguments) {
        com.fasterxml.jackson.databind.node.ObjectNode request = new com.fasterxml.jackson.databind.ObjectMapper()
                .createObjectNode().put("type", "exec").put("mbean", mbean).put("operation", operation);
        var args = request.putArray("arguments");
        for (Object a : arguments) {
            args.addPOJO(a);
        }
        Map<String, String> headers = new java.util.HashMap<>(BridgeUnderTest.managementAuth());
        headers.put("Content-Type", "application/json");
        return bridge.json(bridge.management("POST", "/observe/jolokia", request.toString(), headers));
    }

    @Test
    void pausedPollingWaitsAndPollNowRunsACycle() throws Exception {
        assertEquals(200, bridge.post("/admin/poll/pause", new byte[0], bridge.admin()).statusCode());
        try {
            assertEquals(202, bridge.sendWebhook("evt-ops-2", referralEvent("OPS-0002", "p@example.com"))
                    .statusCode());
            bridge.awaitState("OPS-0002", "booked");
            long job = bridge.sandbox.convertBooking(bridge.bookingId("OPS-0002")).path("id").asLong();
            bridge.sandbox.setJobStatus(job, "Completed");
            bridge.awaitMore("bridge.poll.cycles.paused", 3);
            assertEquals("booked", bridge.referral("OPS-0002").get("state"), "paused: no scheduled cycle ran");

            HttpResponse<String> now = bridge.post("/admin/poll", new byte[0], bridge.admin());
            assertEquals(200, now.statusCode(), now.body());
            assertTrue(bridge.json(now).path("matched").asInt() >= 1, now.body());
            bridge.awaitState("OPS-0002", "platform_notified");
        } finally {
            assertEquals(200, bridge.post("/admin/poll/resume", new byte[0], bridge.admin()).statusCode());
        }
        assertEquals(401, bridge.post("/admin/poll", new byte[0], Map.of()).statusCode());
    }
}
