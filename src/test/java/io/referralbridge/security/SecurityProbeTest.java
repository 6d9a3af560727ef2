package io.referralbridge.security;

import static io.referralbridge.support.BridgeUnderTest.referralEvent;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.support.BridgeUnderTest;
import io.referralbridge.support.RunningBridge;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What an attacker on the same host, or a web page open in a browser there, can do: the management server's door and
 * Jolokia policy, request headers that query parameters must not stand in for (and the reverse), bad admin input, and
 * HTTP hygiene. Every refusal is a 4xx with a JSON body; none is a 500.
 */
class SecurityProbeTest {

    static BridgeUnderTest bridge;
    static final String JOLOKIA = "/observe/jolokia";
    static final String OPERATOR = "referral-bridge:type=operations,name=referral-bridge";

    @RegisterExtension
    static final RunningBridge RUNNING = new RunningBridge(Map.of("bridge.management.allowed-origin", "http://127.0.0.1:8090"), started -> bridge = started);

    private static HttpResponse<String> jolokiaPost(String body, Map<String, String> extraHeaders) {
        Map<String, String> h = new HashMap<>(BridgeUnderTest.managementAuth());
        h.put("Content-Type", "application/json");
        h.putAll(extraHeaders);
        return bridge.management("POST", JOLOKIA, body, h);
    }

    private static void assertRefused(int status, HttpResponse<String> answer) {
        assertEquals(status, answer.statusCode(), answer.body());
        JsonNode error = bridge.json(answer);
        assertEquals(status, error.path("status").asInt(), answer.body());
        assertEquals("java.lang.SecurityException", error.path("error_type").asText(), answer.body());
    }

    @Test
    void withoutTheCredentialNothingButHealthAnswers() {
        for (String path : new String[] {JOLOKIA + "/version", "/observe/metrics", JOLOKIA + "/list"}) {
            assertRefused(401, bridge.management("GET", path, null, Map.of()));
            assertRefused(401, bridge.management("GET", path, null, Map.of("Authorization", "Basic "
                    + java.util.Base64.getEncoder().encodeToString("operator:wrong-password!".getBytes()))));
            assertRefused(401, bridge.management("GET", path, null, Map.of("Authorization", "Bearer "
                    + BridgeUnderTest.ADMIN_TOKEN)));
        }
        assertRefused(401, bridge.management("POST", JOLOKIA, "{\"type\":\"exec\",\"mbean\":\"" + OPERATOR
                + "\",\"operation\":\"pollNow\",\"arguments\":[\"\"]}", Map.of()));
        assertRefused(401, bridge.management("GET", JOLOKIA + "/version?Authorization=Basic%20"
                + BridgeUnderTest.managementAuth().get("Authorization").substring(6), null, Map.of()));
        assertEquals(200, bridge.management("GET", "/observe/health/ready", null, Map.of()).statusCode());
        assertEquals(200, bridge.management("GET", "/observe/health/live", null, Map.of()).statusCode());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        // send or request to any endpoint (file:, sql: against the bridge's own dataSource)
        "{\"type\":\"exec\",\"mbean\":\"org.apache.camel:context=referral-bridge,type=context,name=\\\"referral-bridge\\\"\",\"operation\":\"sendStringBody\",\"arguments\":[\"file:/tmp?fileName=x\",\"owned\"]}",
        "{\"type\":\"exec\",\"mbean\":\"org.apache.camel:context=referral-bridge,type=context,name=\\\"referral-bridge\\\"\",\"operation\":\"requestBody(java.lang.String,java.lang.Object)\",\"arguments\":[\"sql:select 1?dataSource=#dataSource\",\"x\"]}",
        "{\"type\":\"exec\",\"mbean\":\"org.apache.camel:context=referral-bridge,type=context,name=\\\"referral-bridge\\\"\",\"operation\":\"addOrUpdateRoutesFromXml\",\"arguments\":[\"<routes/>\"]}",
        // heap dumps hold every secret; diagnostic commands load agents
        "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=HotSpotDiagnostic\",\"operation\":\"dumpHeap\",\"arguments\":[\"/tmp/heap.hprof\",true]}",
        "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=DiagnosticCommand\",\"operation\":\"jvmtiAgentLoad\",\"arguments\":[\"/tmp/agent.so\"]}",
        "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=DiagnosticCommand\",\"operation\":\"vmSystemProperties\"}",
        "{\"type\":\"exec\",\"mbean\":\"java.lang:type=Memory\",\"operation\":\"gc\"}",
        // MBean server writes, and request types Jolokia's policy does not list
        "{\"type\":\"write\",\"mbean\":\"java.lang:type=Memory\",\"attribute\":\"Verbose\",\"value\":true}",
        "{\"type\":\"write\",\"mbean\":\"org.apache.camel:context=referral-bridge,type=routes,name=\\\"referral-intake\\\"\",\"attribute\":\"Tracing\",\"value\":true}",
        "{\"type\":\"notification\",\"command\":\"register\"}",
        // one forbidden request in a bulk refuses the bulk
        "[{\"type\":\"version\"},{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=HotSpotDiagnostic\",\"operation\":\"dumpHeap\",\"arguments\":[\"/tmp/h\",true]}]",
        // an operation name with a signature, and an MBean name that does not parse
        "{\"type\":\"exec\",\"mbean\":\"com.sun.management:type=HotSpotDiagnostic\",\"operation\":\"dumpHeap(java.lang.String,boolean)\",\"arguments\":[\"/tmp/h\",true]}",
        "{\"type\":\"exec\",\"mbean\":\"not an object name\",\"operation\":\"x\"}"})
    void forbiddenOperationsAreRefusedWith403(String request) {
        assertRefused(403, jolokiaPost(request, Map.of()));
    }

    @Test
    void noOperationRunsByGet() {
        String exec = JOLOKIA + "/exec/" + OPERATOR + "/pollNow/default";
        assertRefused(403, bridge.management(exec));
        assertRefused(403, bridge.management(JOLOKIA + "//EXEC/" + OPERATOR + "/pollNow/default"));
        assertRefused(403, bridge.management(JOLOKIA + "/?p=/exec/" + OPERATOR + "/pollNow/default"));
        assertRefused(403, bridge.management(JOLOKIA + "/read/java.lang:type=Memory?p=/exec/java.lang:type=Memory/gc"));
        assertRefused(403, bridge.management(JOLOKIA + "/write/java.lang:type=Memory/Verbose/true"));
        assertRefused(403, bridge.management("PUT", JOLOKIA, "{\"type\":\"version\"}",
                BridgeUnderTest.managementAuth()));
        assertEquals(200, bridge.management(JOLOKIA + "/read/java.lang:type=Memory/Verbose").statusCode());
        assertEquals(200, bridge.management(JOLOKIA + "/version").statusCode());
    }

    @Test
    void webPagesCannotReachIt() {
        String version = "{\"type\":\"version\"}";
        assertRefused(403, jolokiaPost(version, Map.of("Origin", "null")));
        assertRefused(403, jolokiaPost(version, Map.of("Origin", "http://evil.example")));
        assertRefused(403, jolokiaPost(version, Map.of("Origin", "http://127.0.0.1:8090.evil.example")));
        assertRefused(403, jolokiaPost(version, Map.of("Referer", "http://evil.example/page.html")));
        assertRefused(403, bridge.management("GET", JOLOKIA + "/version", null, Map.of("Origin", "null",
                "Authorization", BridgeUnderTest.managementAuth().get("Authorization"))));
        // the configured Hawtio origin gets CORS, and nothing else does
        HttpResponse<String> hawtio = jolokiaPost(version, Map.of("Origin", "http://127.0.0.1:8090"));
        assertEquals(200, hawtio.statusCode(), hawtio.body());
        assertEquals("http://127.0.0.1:8090", hawtio.headers().firstValue("Access-Control-Allow-Origin").orElse(""));
        HttpResponse<String> preflight = bridge.management("OPTIONS", JOLOKIA, null, Map.of("Origin",
                "http://127.0.0.1:8090", "Access-Control-Request-Method", "POST"));
        assertEquals(204, preflight.statusCode());
        assertTrue(jolokiaPost(version, Map.of()).headers().firstValue("Access-Control-Allow-Origin").isEmpty());
    }

    @Test
    void theOperatorsOperationsAndRouteControlStillWorkByPost() {
        String operator = bridge.json(bridge.management(JOLOKIA + "/search/referral-bridge:type=operations,*"))
                .path("value").path(0).asText();
        JsonNode list = bridge.json(jolokiaPost("{\"type\":\"exec\",\"mbean\":\"" + operator
                + "\",\"operation\":\"listDeadLetters\"}", Map.of()));
        assertEquals(200, list.path("status").asInt(), list.toString());
        String route = "org.apache.camel:context=referral-bridge,type=routes,name=\\\"booking-outbox-default\\\"";
        String direct = "org.apache.camel:context=referral-bridge,type=routes,name=\\\"poll-cycle\\\"";
        for (String[] call : new String[][] {{direct, "suspend()"}, {direct, "resume()"}, {route, "stop()"},
                {route, "start()"}}) {
            HttpResponse<String> done = jolokiaPost("{\"type\":\"exec\",\"mbean\":\"" + call[0]
                    + "\",\"operation\":\"" + call[1] + "\"}", Map.of());
            assertEquals(200, done.statusCode(), done.body());
            assertEquals(200, bridge.json(done).path("status").asInt(), call[1] + ": " + done.body());
        }
        // an overloaded operation named without its signature is the request's fault: 400, not 500
        HttpResponse<String> ambiguous = jolokiaPost("{\"type\":\"exec\",\"mbean\":\"" + route
                + "\",\"operation\":\"stop\"}", Map.of());
        assertEquals(400, ambiguous.statusCode(), ambiguous.body());
        JsonNode read = bridge.json(jolokiaPost("[{\"type\":\"read\",\"mbean\":\"" + route
                + "\",\"attribute\":\"State\"},{\"type\":\"search\",\"mbean\":\"org.apache.camel:type=routes,*\"}]",
                Map.of()));
        assertEquals(200, read.path(0).path("status").asInt(), read.toString());
        JsonNode diagram = bridge.json(jolokiaPost("{\"type\":\"exec\",\"mbean\":\"org.apache.camel:context="
                + "referral-bridge,type=context,name=\\\"referral-bridge\\\"\",\"operation\":\"dumpRoutesAsXml()\"}",
                Map.of()));
        assertTrue(diagram.path("value").asText().contains("referral-intake"), "Hawtio's route diagrams read this: "
                + diagram);
    }

    @Test
    void queryParametersNeverStandInForHeaders() {
        String token = "Bearer%20" + BridgeUnderTest.ADMIN_TOKEN;
        HttpResponse<String> viaQuery = bridge.get("/api/referrals?Authorization=" + token, Map.of());
        assertEquals(401, viaQuery.statusCode(), viaQuery.body());
        assertEquals(401, bridge.post("/admin/poll/pause?authorization=" + token, new byte[0], Map.of())
                .statusCode());
        // and request headers never stand in for admin parameters
        HttpResponse<String> from = bridge.get("/api/reports/summary", Map.of("Authorization", "Bearer "
                + BridgeUnderTest.ADMIN_TOKEN, "From", "webmaster@example.org", "To", "x", "Campaign", "x"));
        assertEquals(200, from.statusCode(), from.body());
        assertTrue(bridge.json(from).path("campaigns").isArray());
        assertEquals("200", rawRequest(bridge.port, "POST /admin/poll/pause?connection=default HTTP/1.1\r\n"
                + "Host: 127.0.0.1\r\nAuthorization: Bearer " + BridgeUnderTest.ADMIN_TOKEN + "\r\nConnection: "
                + "keep-alive\r\nContent-Length: 0\r\n\r\n").substring(9, 12));
        assertEquals(200, bridge.post("/admin/poll/resume", new byte[0], bridge.admin()).statusCode());
        // a path parameter is the path's, whatever the query or the headers say
        assertEquals(202, bridge.sendWebhook("evt-sec-path", referralEvent("SEC-PATH", "path@example.com"))
                .statusCode());
        HttpResponse<String> view = bridge.get("/api/referrals/SEC-PATH?code=OTHER", Map.of("Authorization",
                "Bearer " + BridgeUnderTest.ADMIN_TOKEN, "code", "OTHER"));
        assertEquals(200, view.statusCode(), view.body());
        assertEquals("SEC-PATH", bridge.json(view).path("code").asText(), view.body());
        // a parameter given twice is refused rather than guessed
        assertEquals(400, bridge.get("/api/referrals?limit=1&limit=1000", bridge.admin()).statusCode());
    }

    @Test
    void badAdminInputIsA4xxNeverA500() {
        String[] paths = {
            "/api/reports/summary?to=%2B300000-01-01T00:00:00Z", "/api/reports/summary?from=-290000-01-01T00:00:00Z",
            "/api/reports/summary?from=2026-13-45", "/api/reports/summary?campaign=%00",
            "/api/referrals?limit=99999999999999999999", "/api/referrals?sort=%00", "/api/referrals/A%00B",
"/api/referrals?campaign=" + "x".repeat(5000),
            "/api/referrals/" + "y".repeat(3000)};
        for (String path : paths) {
            HttpResponse<String> answer = bridge.get(path, bridge.admin());
            assertTrue(answer.statusCode() >= 400 && answer.statusCode() < 500, path + " -> " + answer.statusCode()
                    + " " + answer.body());
            assertFalse(answer.body().contains("PSQL") || answer.body().contains("ERROR:"), answer.body());
        }
        for (String path : new String[] {"/admin/dead-letters/%00/replay", "/admin/dead-letters/99999999999999999999/replay",
                "/api/referrals/%00/qualify", "/admin/poll/pause?connection=%00"}) {
            HttpResponse<String> answer = bridge.post(path, new byte[0], bridge.admin());
            assertTrue(answer.statusCode() >= 400 && answer.statusCode() < 500, path + " -> " + answer.statusCode()
                    + " " + answer.body());
        }
    }

    @Test
    void malformedRequestsAreA4xxWithABodyNeverA500() throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        for (String path : new String[] {"/report", "/api/referrals", "/report/report.css"}) {
            HttpResponse<String> get = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                    "http://127.0.0.1:" + bridge.port + path)).method("GET",
                    java.net.http.HttpRequest.BodyPublishers.ofString("a=1"))
                    .header("Content-Type", "application/x-www-form-urlencoded").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(400, get.statusCode(), path + ": " + get.body());
            assertEquals("bad_request", bridge.json(get).path("error").asText());
        }
        assertEquals("HTTP/1.1 400", rawRequest(bridge.port, "GET /api/referrals?limit=%ZZ HTTP/1.1\r\nHost: x\r\n"
                + "Authorization: Bearer " + BridgeUnderTest.ADMIN_TOKEN + "\r\n\r\n").substring(0, 12));
        assertEquals("HTTP/1.1 400", rawRequest(bridge.port, "GET /api/referrals/% HTTP/1.1\r\nHost: x\r\n\r\n")
                .substring(0, 12));
        assertEquals("HTTP/1.1 400", rawRequest(bridge.managementPort(), "GET /observe/health/live?x=%ZZ HTTP/1.1\r\n"
                + "Host: x\r\n\r\n").substring(0, 12));
        // a body over the server's 1 MB cap
        HttpResponse<String> huge = bridge.post("/webhooks/referrals", new byte[1_100_000],
                Map.of("Content-Type", "application/json"));
        assertEquals(413, huge.statusCode());
        assertEquals("payload_too_large", bridge.json(huge).path("error").asText(), huge.body());
        // admin parameters come from the query string only, not from a form body
        HttpResponse<String> pause = bridge.post("/admin/poll/pause", "connection=nope".getBytes(), Map.of(
                "Authorization", "Bearer " + BridgeUnderTest.ADMIN_TOKEN, "Content-Type",
                "application/x-www-form-urlencoded"));
        assertEquals(200, pause.statusCode(), pause.body());
        assertEquals(200, bridge.post("/admin/poll/resume", new byte[0], bridge.admin()).statusCode());
    }

    @Test
    void everyAnswerCarriesTheSecurityHeaders() {
        HttpResponse<String> page = bridge.get("/report", Map.of());
        String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
        assertTrue(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline"), csp);
        assertFalse(page.body().contains("<script>") || page.body().contains("<style>")
                || page.body().matches("(?s).*\\son[a-z]+=.*"), "no inline script or style in the page");
        for (HttpResponse<String> answer : new HttpResponse[] {page,
                bridge.sendWebhook("evt-sec-1", referralEvent("SEC-0001", "sec@example.com")),
                bridge.get("/api/referrals", bridge.admin()), bridge.get("/api/referrals", Map.of()),
                bridge.get("/no/such/path", Map.of()), bridge.management("/observe/metrics"),
                bridge.management("GET", "/observe/health/ready", null, Map.of())}) {
            assertEquals("nosniff", answer.headers().firstValue("X-Content-Type-Options").orElse(""),
                    answer.uri().toString());
            assertEquals("no-store", answer.headers().firstValue("Cache-Control").orElse(""),
                    answer.uri().toString());
        }
    }

    @Test
    void aConnectionThatSendsItsHeadersTooSlowlyIsClosed() throws Exception {
        // its own bridge: a 2 s idle timeout would also close the test client's pooled connections under the others
        try (BridgeUnderTest quick = BridgeUnderTest.start(Map.of("bridge.http.idle-timeout-seconds", "2"))) {
            slowHeadersAreCut(quick);
        }
    }

    private static void slowHeadersAreCut(BridgeUnderTest bridge) throws Exception {
        for (int port : new int[] {bridge.port, bridge.managementPort()}) {
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.setSoTimeout(15_000);
                OutputStream out = socket.getOutputStream();
                out.write("POST /webhooks/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes());
                out.flush();
                long start = System.nanoTime();
                int read = socket.getInputStream().read(); // blocks until the server closes
                double seconds = (System.nanoTime() - start) / 1e9;
                assertEquals(-1, read, "closed without an answer");
                assertTrue(seconds < 10, "closed after " + seconds + " s (idle timeout 2 s)");
            }
        }
    }

    @Test
    void aClientThatLeavesMidRequestIsOneInfoLine() throws Exception {
        java.util.List<org.apache.logging.log4j.core.LogEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        var ctx = (org.apache.logging.log4j.core.LoggerContext) org.apache.logging.log4j.LogManager.getContext(false);
        var capture = new org.apache.logging.log4j.core.appender.AbstractAppender("capture", null, null, true,
                org.apache.logging.log4j.core.config.Property.EMPTY_ARRAY) {
            @Override
            public void append(org.apache.logging.log4j.core.LogEvent event) {
                events.add(event.toImmutable());
            }
        };
        capture.start();
        ctx.getConfiguration().getRootLogger().addAppender(capture, null, null);
        ctx.updateLoggers();
        try (Socket socket = new Socket("127.0.0.1", bridge.port)) {
            socket.getOutputStream().write(("POST /webhooks/referrals HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                    + "application/json\r\nContent-Length: 500\r\n\r\n{\"type\":").getBytes());
            socket.getOutputStream().flush();
            Thread.sleep(300); // the hostile client's pause before it hangs up (not a wait for the bridge)
        }
        try {
            BridgeUnderTest.await("the INFO line", java.time.Duration.ofSeconds(10), () -> events.stream()
                    .anyMatch(e -> e.getMessage().getFormattedMessage().startsWith("Client closed the connection")));
            assertTrue(events.stream().noneMatch(e -> e.getLevel().isMoreSpecificThan(
                    org.apache.logging.log4j.Level.WARN)), events.toString());
        } finally {
            ctx.getConfiguration().getRootLogger().removeAppender("capture");
            ctx.updateLoggers();
        }
    }

    @Test
    void databaseErrorsDoNotQuoteTheData() throws Exception {
        javax.sql.DataSource ds = bridge.main.getCamelContext().getRegistry().lookupByNameAndType("dataSource",
                javax.sql.DataSource.class);
        try (var c = ds.getConnection(); var st = c.createStatement()) {
            st.executeQuery("SELECT CAST('{\"phone\": \"+1 555 0100\", \"email\": \"dana@example.com\" oops' AS jsonb)");
            throw new AssertionError("PostgreSQL accepted broken JSON");
        } catch (java.sql.SQLException e) {
            String text = e.toString();
            assertFalse(text.contains("555") || text.contains("dana@") || text.contains("Where:")
                    || text.contains("Detail:"), text);
        }
    }

    /** One HTTP/1.1 exchange over a plain socket (for headers the JDK client will not send); the status line. */
    static String rawRequest(int port, String request) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
            InputStream in = socket.getInputStream();
            StringBuilder line = new StringBuilder();
            for (int c; (c = in.read()) != -1 && c != '\n'; ) {
                line.append((char) c);
            }
            return line.toString();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
