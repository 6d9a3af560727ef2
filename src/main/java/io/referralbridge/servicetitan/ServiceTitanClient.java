package io.referralbridge.servicetitan;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.StringJoiner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that knows how ServiceTitan is spoken to: OAuth client-credentials tokens (cached, renewed before they
 * expire and once more on a 401), the ST-App-Key header, tenant paths, JSON. Calls go through camel-http; a failure
 * surfaces as {@link HttpOperationFailedException} with the status and response headers, for the route's error
 * handler to retry or dead-letter.
 */
public final class ServiceTitanClient {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceTitanClient.class);

    private final ServiceTitanConnection conn;
    private final ProducerTemplate template;
    private final ObjectMapper json;
    private final Clock clock;
    private final String apiEndpoint;
    private final String authEndpoint;

    private final RequestPacer pacer;
    private String token;
    private Instant tokenRenewAt = Instant.EPOCH;

    private final io.referralbridge.ops.BridgeMetrics metrics;

    public ServiceTitanClient(ServiceTitanConnection conn, ProducerTemplate template, ObjectMapper json, Clock clock,
                              io.referralbridge.ops.BridgeMetrics metrics) {
        this.metrics = metrics;
        this.conn = conn;
        this.template = template;
        this.json = json;
        this.clock = clock;
        this.pacer = new RequestPacer(conn.maxRequestsPerSecond());
        String options = "?throwExceptionOnFailure=true&connectTimeout=" + conn.connectTimeoutMs()
                + "&responseTimeout=" + conn.responseTimeoutMs() + "&connectionRequestTimeout=" + conn.connectTimeoutMs();
        this.apiEndpoint = conn.apiUrl() + options;
        this.authEndpoint = conn.authUrl() + options;
    }

    public ServiceTitanConnection connection() {
        return conn;
    }

    // ---- bookings (CRM) ----

    /**
     * Returns the booking with this externalId, creating it only when ServiceTitan has none: a retry, a replay or a
     * restart after a lost answer finds the booking made the first time instead of making a second.
     */
    public JsonNode ensureBooking(long bookingProvider, ObjectNode booking) throws Exception {
        String externalId = booking.path("externalId").asText();
        Optional<JsonNode> existing = findBookingByExternalId(bookingProvider, externalId);
        if (existing.isPresent()) {
            LOG.info("Booking {} already exists for this referral; not creating another", existing.get().path("id"));
            return existing.get();
        }
        return createBooking(bookingProvider, booking);
    }

    public Optional<JsonNode> findBookingByExternalId(long bookingProvider, String externalId) throws Exception {
        JsonNode page = get("/crm/v2/tenant/" + conn.tenantId() + "/booking-provider/" + bookingProvider + "/bookings",
                params("externalId", externalId, "pageSize", "50"));
        for (JsonNode b : page.path("data")) {
            if (externalId.equals(b.path("externalId").asText())) {
                return Optional.of(b);
            }
        }
        return Optional.empty();
    }

    /** Whether ServiceTitan answers a plain read of a booking provider's bookings (a probe after a failed call). */
    public boolean answersBookings(long bookingProvider) {
        try {
            get("/crm/v2/tenant/" + conn.tenantId() + "/booking-provider/" + bookingProvider + "/bookings",
                    params("pageSize", "1"));
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    public JsonNode createBooking(long bookingProvider, ObjectNode booking) throws Exception {
        return send("POST", "/crm/v2/tenant/" + conn.tenantId() + "/booking-provider/" + bookingProvider + "/bookings",
                null, booking);
    }

    // ---- export feeds (incremental sync) ----

    /**
     * One page of an export feed ({@code bookings}, {@code jobs} or {@code invoices}) after the continuation token
     * {@code from} (null: from the beginning). Answer: {@code {data: [...], hasMore, continueFrom}}.
     */
    public JsonNode export(String feed, String from) throws Exception {
        String module = switch (feed) {
            case "bookings" -> "crm";
            case "jobs" -> "jpm";
            case "invoices" -> "accounting";
            default -> throw new IllegalArgumentException("Unknown export feed " + feed);
        };
        return get("/" + module + "/v2/tenant/" + conn.tenantId() + "/export/" + feed,
                params("from", from == null ? "" : from, "includeRecentChanges",
                        String.valueOf(conn.includeRecentChanges())));
    }

    // ---- generic calls ----

    public JsonNode get(String path, Map<String, String> query) throws Exception {
        return send("GET", path, query, null);
    }

    public JsonNode send(String method, String path, Map<String, String> query, JsonNode body) throws Exception {
        for (int attempt = 1; ; attempt++) {
            String bearer = accessToken();
            pacer.acquire();
            Exchange result = template.send(apiEndpoint, exchange -> {
                Message m = exchange.getMessage();
                m.setHeader(Exchange.HTTP_METHOD, method);
                m.setHeader(Exchange.HTTP_PATH, path);
                if (query != null && !query.isEmpty()) {
                    m.setHeader(Exchange.HTTP_QUERY, encode(query));
                }
                m.setHeader("Authorization", "Bearer " + bearer);
                m.setHeader("ST-App-Key", conn.appKey());
                m.setHeader("Accept", "application/json");
                if (body != null) {
                    m.setHeader(Exchange.CONTENT_TYPE, "application/json");
                    m.setBody(json.writeValueAsBytes(body));
                }
            });
            Exception failure = result.getException();
            metrics.count("bridge.servicetitan.calls", "endpoint", method + " " + endpointName(path), "status",
                    failure instanceof HttpOperationFailedException h ? String.valueOf(h.getStatusCode())
                            : failure != null ? "error" : "200");
            if (failure instanceof HttpOperationFailedException http && http.getStatusCode() == 401 && attempt == 1) {
                LOG.info("ServiceTitan refused the access token (401); fetching a new one");
                invalidate(bearer);
                continue;
            }
            if (failure != null) {
                throw failure;
            }
            return parse(result.getMessage().getBody(String.class));
        }
    }

    // ---- OAuth client credentials ----

    public synchronized String accessToken() throws Exception {
        if (token != null && clock.instant().isBefore(tokenRenewAt)) {
            return token;
        }
        String form = encode(params("grant_type", "client_credentials", "client_id", conn.clientId(),
                "client_secret", conn.clientSecret()));
        pacer.acquire();
        Exchange result = template.send(authEndpoint, exchange -> {
            Message m = exchange.getMessage();
            m.setHeader(Exchange.HTTP_METHOD, "POST");
            m.setHeader(Exchange.CONTENT_TYPE, "application/x-www-form-urlencoded");
            m.setHeader("Accept", "application/json");
            m.setBody(form);
        });
        if (result.getException() != null) {
            throw result.getException();
        }
        JsonNode answer = parse(result.getMessage().getBody(String.class));
        String accessToken = answer.path("access_token").asText(null);
        if (accessToken == null || accessToken.isEmpty()) {
            throw new IllegalStateException("ServiceTitan token endpoint answered without access_token");
        }
        long lifetime = answer.path("expires_in").asLong(900);
        token = accessToken;
        // The margin is at most a tenth of the lifetime: a 60 s margin on a 30 s token would renew at every call.
        long margin = Math.min(conn.refreshMarginSeconds(), lifetime / 10);
        tokenRenewAt = clock.instant().plusSeconds(Math.max(0, lifetime - margin));
        LOG.debug("New ServiceTitan access token, valid {} s", lifetime);
        return token;
    }

    synchronized void invalidate(String rejected) {
        if (rejected.equals(token)) {
            token = null;
        }
    }

    private JsonNode parse(String body) {
        try {
            return body == null || body.isBlank() ? json.createObjectNode() : json.readTree(body);
        } catch (Exception e) {
            throw new IllegalStateException("ServiceTitan answered with a body that is not JSON", e);
        }
    }

    /** The path without tenant and ids, so metrics have a bounded set of endpoint names. */
    static String endpointName(String path) {
        return path.replaceAll("/tenant/[^/]+", "").replaceAll("/booking-provider/\\d+", "/booking-provider")
                .replaceAll("/\\d+(?=/|$)", "/{id}");
    }

    static Map<String, String> params(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            if (kv[i + 1] != null) {
                m.put(kv[i], kv[i + 1]);
            }
        }
        return m;
    }

    static String encode(Map<String, String> params) {
        StringJoiner j = new StringJoiner("&");
        params.forEach((k, v) -> j.add(URLEncoder.encode(k, StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(v, StandardCharsets.UTF_8)));
        return j.toString();
    }
}
