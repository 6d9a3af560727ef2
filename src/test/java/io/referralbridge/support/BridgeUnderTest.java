package io.referralbridge.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.Application;
import io.referralbridge.intake.WebhookVerifier;
import io.referralbridge.sandbox.platform.ReferralPlatformSandbox;
import io.referralbridge.sandbox.servicetitan.ServiceTitanSandbox;
import org.apache.camel.main.Main;
import org.apache.camel.test.AvailablePortFinder;

/**
 * The real bridge (Application, the YAML routes under routes/, application*.properties) started in-process on a free
 * port, against a fresh PostgreSQL database and its own ServiceTitan sandbox over HTTP. Tests talk to it as the
 * referral platform and an operator would: over HTTP.
 */
public final class BridgeUnderTest implements AutoCloseable {

    public static final String WEBHOOK_SECRET = "whsec_" + Base64.getEncoder()
            .encodeToString("test-webhook-secret-0123456789".getBytes(StandardCharsets.UTF_8));
    public static final String ADMIN_TOKEN = "test-admin-token";
    public static final String MANAGEMENT_USER = "operator";
    public static final String MANAGEMENT_PASSWORD = "test-management-password";
    public static final String TENANT = "4242";
    public static final String APP_KEY = "test-app-key";
    public static final String CLIENT_ID = "test-client";
    public static final String CLIENT_SECRET = "test-client-secret";
    public static final String PLATFORM_KEY = "test-platform-key";

    public final ServiceTitanSandbox sandbox;
    public final ReferralPlatformSandbox platform;
    public Main main;
    public final int port;
    public final String jdbcUrl;
    private final Map<String, String> properties;
    // HTTP/1.1 as webhook senders use it (the JDK client would otherwise multiplex every request over one h2c connection).
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper json = new ObjectMapper();

    private BridgeUnderTest(ServiceTitanSandbox sandbox, ReferralPlatformSandbox platform, Main main, int port,
                            String jdbcUrl, Map<String, String> properties) {
        this.sandbox = sandbox;
        this.platform = platform;
        this.main = main;
        this.port = port;
        this.jdbcUrl = jdbcUrl;
        this.properties = properties;
    }

    /** A ServiceTitan sandbox that knows the test tenant and its credentials. */
    public static ServiceTitanSandbox startServiceTitanSandbox() {
        return ServiceTitanSandbox.start(new ServiceTitanSandbox.Options(0, TENANT, APP_KEY, CLIENT_ID, CLIENT_SECRET,
                900, 500));
    }

    public static BridgeUnderTest start() {
        return start(Map.of());
    }

    public static BridgeUnderTest start(Map<String, String> extra) {
        return start(extra, startServiceTitanSandbox());
    }

    /** With a ServiceTitan sandbox of these options (say, short-lived tokens). */
    public static BridgeUnderTest start(Map<String, String> extra, ServiceTitanSandbox.Options options) {
        return start(extra, ServiceTitanSandbox.start(options));
    }

    /** With this ServiceTitan sandbox (prepared by the test, say with a tenant's history); closed with the bridge. */
    public static BridgeUnderTest start(Map<String, String> extra, ServiceTitanSandbox sandbox) {
        ReferralPlatformSandbox platform = ReferralPlatformSandbox.start(0, PLATFORM_KEY);
        String jdbcUrl = TestDatabase.newDatabase();
        int port = AvailablePortFinder.getNextAvailable();
        Map<String, String> props = testProperties(sandbox.baseUrl(), jdbcUrl, port);
        props.put("platform.base-url", platform.baseUrl());
        // "${platform}" in a value stands for this run's referral platform sandbox.
        extra.forEach((k, v) -> props.put(k, v.replace("${platform}", platform.baseUrl())));
        try {
            return new BridgeUnderTest(sandbox, platform, startMain(props), port, props.get("bridge.db.url"), props);
        } catch (RuntimeException e) {
            sandbox.close();
            platform.close();
            throw e;
        }
    }

    private static Main startMain(Map<String, String> props) {
        Main main = Application.create("dev", Path.of("."));
        props.forEach(main::addOverrideProperty);
        try {
            main.start();
            return main;
        } catch (Exception e) {
            throw new IllegalStateException("Bridge did not start", e);
        }
    }

    /** Stops the bridge and starts it again on the same database and sandboxes, as after a crash or deploy. */
    public void restart() {
        main.stop();
        main = startMain(properties);
    }

    /** Restarts with some settings changed (a blank value removes one), as after a configuration change. */
    public void restart(Map<String, String> changes) {
        properties.putAll(changes);
        restart();
    }

    public static Map<String, String> testProperties(String sandboxUrl, String jdbcUrl, int port) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("camel.server.port", String.valueOf(port));
        p.put("camel.management.port", String.valueOf(AvailablePortFinder.getNextAvailable()));
        p.put("bridge.db.embedded", "false");
        p.put("bridge.db.url", jdbcUrl);
        p.put("bridge.db.username", "postgres");
        p.put("bridge.db.password", "postgres");
        p.put("bridge.sandbox.servicetitan.enabled", "false");
        p.put("servicetitan.auth-url", sandboxUrl + "/connect/token");
        p.put("servicetitan.api-url", sandboxUrl);
        p.put("servicetitan.tenant-id", TENANT);
        p.put("servicetitan.app-key", APP_KEY);
        p.put("servicetitan.client-id", CLIENT_ID);
        p.put("servicetitan.client-secret", CLIENT_SECRET);
        p.put("bridge.webhook.secrets", WEBHOOK_SECRET);
        p.put("bridge.admin.token", ADMIN_TOKEN);
        p.put("bridge.management.password", MANAGEMENT_PASSWORD);
        p.put("camel.main.routesReloadEnabled", "false"); // on in dev; RouteReloadTest turns it on
        p.put("bridge.outbox.poll-interval-ms", "100");
        p.put("bridge.outbox.initial-delay-ms", "0");
        p.put("bridge.retry.max-redeliveries", "4");
        p.put("bridge.retry.initial-delay-ms", "50");
        p.put("bridge.retry.max-delay-ms", "3000");
        p.put("bridge.sandbox.platform.enabled", "false");
        // The dev profile's referrer write-back is off unless a test turns it on (ReferrerInServiceTitanTest).
        p.put("bridge.campaign.17.customer-fields", "");
        p.put("servicetitan.application-guid", "");
        // And so is the dev profile's enrolment (EnrolmentTest, EnrolmentBackfillTest turn it on).
        p.put("bridge.campaign.17.enrol", "false");
        p.put("platform.api-key", PLATFORM_KEY);
        // The milestone in the qualification body (the standard profile's body, and one field more).
        p.put("platform.qualify.body", "{\"code\": \"{code}\", \"qualified\": \"{qualified}\", "
                + "\"milestone\": \"{milestone}\"}");
        p.put("bridge.poll.trigger", "trigger.repeatInterval=200");
        // Quartz keeps one scheduler per name in the JVM: bridges on different databases must not share one.
        p.put("bridge.cluster.name", "bridge-" + jdbcUrl.replaceAll("^.*/([^/?]+).*$", "$1"));
        // One campaign per qualification option (17, from application.properties, is job_status Completed).
        p.put("bridge.campaigns", "17,18,19,20,21");
        for (String id : List.of("18", "19", "20", "21")) {
            campaign(p, id);
        }
        p.put("bridge.campaign.18.qualification", "booking_becomes_job");
        p.put("bridge.campaign.19.qualification", "revenue");
        p.put("bridge.campaign.19.revenue-min-total", "500.00");
        p.put("bridge.campaign.19.revenue-paid-in-full", "true");
        p.put("bridge.campaign.20.qualification", "none");
        p.put("bridge.campaign.21.qualification", "job_status");
        p.put("bridge.campaign.21.qualify-statuses", "Completed");
        p.put("bridge.campaign.21.review", "true");
        return p;
    }

    /**
     * Settings of a test campaign booked through provider 42, with its own rules ("qualification", "job_status", ...
     * in pairs, keys without the campaign prefix).
     */
    public static Map<String, String> campaign(Map<String, String> p, String id, String... rules) {
        String prefix = "bridge.campaign." + id + ".";
        p.put(prefix + "booking-provider", "42");
        p.put(prefix + "source", "Referral program");
        p.put(prefix + "summary", "Referral");
        p.put(prefix + "is-first-time-client", "true");
        for (int i = 0; i + 1 < rules.length; i += 2) {
            p.put(prefix + rules[i], rules[i + 1]);
        }
        return p;
    }

    /**
     * As a newcomer runs it: the dev profile starts its own sandboxes (keeping their state in the database), here on
     * free ports. {@link #sandbox} and {@link #platform} are null; reach the sandboxes at {@link #devSandboxUrl()}.
     */
    public static BridgeUnderTest startWithDevSandboxes() {
        int stPort = AvailablePortFinder.getNextAvailable();
        int platformPort = AvailablePortFinder.getNextAvailable();
        String stUrl = "http://127.0.0.1:" + stPort;
        String jdbcUrl = TestDatabase.newDatabase();
        Map<String, String> props = testProperties(stUrl, jdbcUrl, AvailablePortFinder.getNextAvailable());
        props.put("bridge.sandbox.servicetitan.enabled", "true");
        props.put("bridge.sandbox.servicetitan.port", String.valueOf(stPort));
        props.put("bridge.sandbox.platform.enabled", "true");
        props.put("bridge.sandbox.platform.port", String.valueOf(platformPort));
        props.put("platform.base-url", "http://127.0.0.1:" + platformPort);
        return new BridgeUnderTest(null, null, startMain(props), Integer.parseInt(props.get("camel.server.port")),
                jdbcUrl, props);
    }

    /** The dev ServiceTitan sandbox's base URL (its control API is under /sandbox/). */
    public String devSandboxUrl() {
        return properties.get("servicetitan.api-url");
    }

    @Override
    public void close() {
        try {
            main.stop();
        } finally {
            if (sandbox != null) {
                sandbox.close();
            }
            if (platform != null) {
                platform.close();
            }
        }
    }

    // ------------------------------------------------------------------ webhooks

    /** A referral.joined event as the platform sends it (shared/referral-platform.md). */
    public static String referralEvent(String code, String email) {
        return referralEvent(code, email, 17);
    }

    public static String referralEvent(String code, String email, int campaign) {
        return """
                {"type": "referral.joined", "created_at": "2026-11-23T10:15:00Z",
                 "data": {"id": 84211, "first_name": "Dana", "last_name": "Whitfield", "email": "%s",
                          "phone": "+1 555 0100", "code": "%s",
                          "referral_link": "https://refer.example.com/r/%s", "source": "referral landing page",
                          "campaign": {"id": %d, "name": "Spring HVAC tune-up"},
                          "referred_by": {"id": 80007, "first_name": "Sam", "last_name": "Ortiz",
                                          "email": "sam.ortiz@example.com", "code": "SAM-55XA"},
                          "fields": {"street": "12 Elm St", "city": "Tulsa", "state": "OK", "zip": "74103",
                                     "service_needed": "AC not cooling"}}}
                """.formatted(email, code, code, campaign);
    }

    public HttpResponse<String> sendWebhook(String eventId, String body) {
        return sendSigned(eventId, Instant.now().getEpochSecond(), body.getBytes(StandardCharsets.UTF_8),
                "application/json");
    }

    public HttpResponse<String> sendSigned(String eventId, long timestamp, byte[] body, String contentType) {
        return post("/webhooks/referrals", body, Map.of("Content-Type", contentType, "webhook-id", eventId,
                "webhook-timestamp", String.valueOf(timestamp), "webhook-signature", signature(eventId, timestamp,
                        body)));
    }

    /** The webhook-signature header the platform sends with the test secret (Standard Webhooks, v1). */
    public static String signature(String eventId, long timestamp, byte[] body) {
        return "v1," + WebhookVerifier.sign(WebhookVerifier.decodeSecret(WEBHOOK_SECRET), eventId, timestamp, body);
    }

    public HttpResponse<String> post(String path, byte[] body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return send(b.build());
    }

    /** GET on the management server (health, metrics, Jolokia), with the operator's credential. */
    public HttpResponse<String> management(String path) {
        return management("GET", path, null, managementAuth());
    }

    /** Any request to the management server: method, path, body (null: none) and headers as given. */
    public HttpResponse<String> management(String method, String path, String body, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + properties.get("camel.management.port") + path)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return send(b.build());
    }

    public int managementPort() {
        return Integer.parseInt(properties.get("camel.management.port"));
    }

    public static Map<String, String> managementAuth() {
        return Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                (MANAGEMENT_USER + ":" + MANAGEMENT_PASSWORD).getBytes(StandardCharsets.UTF_8)));
    }

    public HttpResponse<String> get(String path, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(30)).GET();
        headers.forEach(b::header);
        return send(b.build());
    }

    public Map<String, String> admin() {
        return Map.of("Authorization", "Bearer " + ADMIN_TOKEN);
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public JsonNode json(HttpResponse<String> response) {
        return json(response.body());
    }

    public JsonNode json(String text) {
        try {
            return json.readTree(text);
        } catch (Exception e) {
            throw new AssertionError("Not JSON: " + text, e);
        }
    }

    // ------------------------------------------------------------------ database

    public List<Map<String, Object>> query(String sql, Object... params) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
             var ps = c.prepareStatement(sql)) {
            for (int i = 0; i < params.length; i++) {
                ps.setObject(i + 1, params[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                List<Map<String, Object>> rows = new ArrayList<>();
                while (rs.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                    }
                    rows.add(row);
                }
                return rows;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    public long count(String table) {
        return ((Number) query("SELECT count(*) AS n FROM " + table).get(0).get("n")).longValue();
    }

    /** Row counts of every table the intake writes, to prove a refused request wrote nothing. */
    public Map<String, Long> tableCounts() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String t : List.of("referral", "webhook_event", "referral_history", "outbox", "dead_letter")) {
            m.put(t, count(t));
        }
        return m;
    }

    /** The causes in a referral's history, oldest first. */
    public List<Object> history(String code) {
        return query("SELECT h.cause FROM referral_history h JOIN referral r ON r.id = h.referral_id WHERE r.code = ? "
                + "ORDER BY h.id", code).stream().map(r -> r.get("cause")).toList();
    }

    public Map<String, Object> referral(String code) {
        List<Map<String, Object>> rows = query("SELECT * FROM referral WHERE code = ?", code);
        return rows.isEmpty() ? null : rows.get(0);
    }

    public void execute(String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
             Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ waiting

    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        Instant end = Instant.now().plus(timeout);
        while (Instant.now().isBefore(end)) {
            if (condition.getAsBoolean()) {
                return;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while waiting for " + what);
            }
        }
        throw new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting for " + what);
    }

    /** A counter of the bridge's metrics (all its tags together), as /observe/metrics shows it. */
    public double counter(String name) {
        var registry = main.getCamelContext().getRegistry()
                .findSingleByType(io.micrometer.core.instrument.MeterRegistry.class);
        return registry == null ? 0 : registry.find(name).counters().stream()
                .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    /** Waits until a counter has grown by {@code n}: e.g. three more poll cycles, so "nothing happened" is observed. */
    public void awaitMore(String counter, int n) {
        double target = counter(counter) + n;
        await(n + " more " + counter, Duration.ofSeconds(20), () -> counter(counter) >= target);
    }

    public long bookingId(String code) {
        return ((Number) referral(code).get("booking_id")).longValue();
    }

    public void awaitState(String code, String state) {
        await("referral " + code + " to be " + state, Duration.ofSeconds(20), () -> {
            Map<String, Object> r = referral(code);
            return r != null && state.equals(r.get("state"));
        });
    }
}
