package io.referralbridge.servicetitan;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * expire and once more on a 401), the ST-App-Key header, tenant paths, JSON. The call itself is the HTTP step
 * (camel-http) of the servicetitan-call route (routes/servicetitan-api.camel.yaml); these are the steps around it. A
 * failure surfaces as {@link HttpOperationFailedException} with the status and response headers, for the caller's error
 * handling to retry, hold or dead-letter.
 */
public final class ServiceTitanClient {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceTitanClient.class);

    private final ServiceTitanConnection conn;
    private final ProducerTemplate template;
    private final ObjectMapper json;
    private final Clock clock;
    private final String apiEndpoint;
    private final String authEndpoint;

    private final RequestBudget pacer;
    private String token;
    private Instant tokenRenewAt = Instant.EPOCH;
    private java.util.concurrent.CompletableFuture<String> tokenRequest;

    private final io.referralbridge.ops.BridgeMetrics metrics;

    /** {@code budget}: the connection's request budget, shared with the cluster's other nodes. */
    public ServiceTitanClient(ServiceTitanConnection conn, ProducerTemplate template, ObjectMapper json, Clock clock,
                              io.referralbridge.ops.BridgeMetrics metrics, RequestBudget budget) {
        this.metrics = metrics;
        this.conn = conn;
        this.template = template;
        this.json = json;
        this.clock = clock;
        this.pacer = budget;
        String options = "?throwExceptionOnFailure=true&connectTimeout=" + conn.connectTimeoutMs()
                + "&responseTimeout=" + conn.responseTimeoutMs() + "&connectionRequestTimeout=" + conn.connectTimeoutMs();
        this.apiEndpoint = conn.apiUrl() + options;
        this.authEndpoint = conn.authUrl() + options;
    }

    public ServiceTitanConnection connection() {
        return conn;
    }

    // ---- bookings (CRM): the create-booking route looks up by externalId, and creates only if none is found ----

    /** The look-up of a referral's booking: its externalId (the referral code) among the provider's bookings. */
    public void findBookingRequest(Exchange exchange, long bookingProvider, String externalId) {
        request(exchange, "GET", bookingsPath(bookingProvider), params("externalId", externalId, "pageSize", "50"),
                null);
    }

    /**
     * The booking with this externalId in a look-up's answer, or null: a retry, a replay or a restart after a lost
     * answer finds the booking made the first time instead of making a second.
     */
    public JsonNode bookingFound(JsonNode page, String externalId) {
        for (JsonNode b : page.path("data")) {
            if (externalId.equals(b.path("externalId").asText())) {
                LOG.info("Booking {} already exists for this referral; not creating another", b.path("id"));
                return b;
            }
        }
        return null;
    }

    public void createBookingRequest(Exchange exchange, long bookingProvider, ObjectNode booking) {
        request(exchange, "POST", bookingsPath(bookingProvider), null, booking);
    }

    /**
     * Whether ServiceTitan answers a plain read of a booking provider's bookings (a probe after a failed call): any
     * answer but 5xx, 429 and 408 shows the service up.
     */
    public boolean answersBookings(long bookingProvider) {
        return answers(bookingsPath(bookingProvider));
    }

    /** Whether ServiceTitan answers a plain read of customers (the probe of the referrer-write queue). */
    public boolean answersCustomers() {
        return answers("/crm/v2/tenant/" + conn.tenantId() + "/customers");
    }

    private boolean answers(String listPath) {
        try {
            get(listPath, params("pageSize", "1"));
            return true;
        } catch (HttpOperationFailedException e) {
            int s = e.getStatusCode();
            return s < 500 && s != 429 && s != 408 && s != 401; // 401 after a new token: the credentials are refused
        } catch (Exception e) {
            return false; // CredentialsRefused too
        }
    }

    private String bookingsPath(long bookingProvider) {
        return "/crm/v2/tenant/" + conn.tenantId() + "/booking-provider/" + bookingProvider + "/bookings";
    }

    // ---- customers (CRM): is the referred person a customer already? ----

    /**
     * The id of the customer ServiceTitan already has with this email or phone, or null. ServiceTitan has no email filter
     * on customers: a contact method with the value leads to its contact, whose relationships name the customer. Each
     * read goes through the servicetitan-call route; a failure is the caller's to retry.
     */
    public Long findCustomer(String email, String phone) throws Exception {
        String contacts = "/crm/v2/tenant/" + conn.tenantId() + "/contacts";
        String emailValue = ContactValues.email(email);
        String phoneValue = ContactValues.phone(phone);
        java.util.List<Map<String, String>> lookups = new java.util.ArrayList<>();
        if (emailValue != null) {
            lookups.add(params("type", "Email", "value", emailValue, "pageSize", "50"));
        }
        if (phoneValue != null) {
            lookups.add(params("value", phoneValue, "pageSize", "50")); // Phone and MobilePhone alike
        }
        for (Map<String, String> lookup : lookups) {
            for (JsonNode method : get(contacts + "/contact-methods", lookup).path("data")) {
                long contactId = method.path("contactId").asLong(0);
                if (contactId <= 0) {
                    continue;
                }
                for (JsonNode rel : get(contacts + "/" + contactId + "/relationships", params("pageSize", "50"))
                        .path("data")) {
                    if ("customer".equalsIgnoreCase(rel.path("typeSlug").asText())
                            && rel.path("relatedEntityId").asLong(0) > 0) {
                        return rel.path("relatedEntityId").asLong();
                    }
                }
            }
        }
        return null;
    }

    /** A customer's record (its {@code customFields} among them). */
    public JsonNode customer(long customerId) throws Exception {
        return get("/crm/v2/tenant/" + conn.tenantId() + "/customers/" + customerId, null);
    }

    /** A customer's contacts ({@code [{type, value, ...}]}): how a phone-in job's customer is recognised. */
    public JsonNode customerContacts(long customerId) throws Exception {
        return get("/crm/v2/tenant/" + conn.tenantId() + "/customers/" + customerId + "/contacts",
                params("pageSize", "50")).path("data");
    }

    // ---- enrolment: the customer of a completed job, its invoices; the completed jobs of a date range ----

    /** Before the read of a customer (name, doNotMail, doNotService, active, customFields). */
    public void customerRequest(Exchange exchange, long customerId) {
        request(exchange, "GET", "/crm/v2/tenant/" + conn.tenantId() + "/customers/" + customerId, null, null);
    }

    /** Before the read of a customer's contacts ({@code data: [{type, value}]}). */
    public void customerContactsRequest(Exchange exchange, long customerId) {
        request(exchange, "GET", "/crm/v2/tenant/" + conn.tenantId() + "/customers/" + customerId + "/contacts",
                params("pageSize", "50"), null);
    }

    /** Before the read of a job's invoices. */
    public void jobInvoicesRequest(Exchange exchange, long jobId) {
        request(exchange, "GET", "/accounting/v2/tenant/" + conn.tenantId() + "/invoices",
                params("jobId", String.valueOf(jobId), "pageSize", "50"), null);
    }

    /** One page of the jobs completed in [from, to), oldest id first, with the total on the first page. */
    public JsonNode completedJobs(Instant from, Instant to, int page, int pageSize) throws Exception {
        return get("/jpm/v2/tenant/" + conn.tenantId() + "/jobs", params("completedOnOrAfter", from.toString(),
                "completedBefore", to.toString(), "page", String.valueOf(page), "pageSize", String.valueOf(pageSize),
                "includeTotal", String.valueOf(page == 1), "sort", "+Id"));
    }

    // ---- referrer data kept in ServiceTitan (custom fields, externalData) ----

    private volatile Map<String, Long> customFieldTypes;

    /** Before the read of a job (its customer): GET the job. */
    public void jobRequest(Exchange exchange, long jobId) {
        request(exchange, "GET", "/jpm/v2/tenant/" + conn.tenantId() + "/jobs/" + jobId, null, null);
    }

    public void patchCustomerRequest(Exchange exchange, long customerId, JsonNode patch) {
        request(exchange, "PATCH", "/crm/v2/tenant/" + conn.tenantId() + "/customers/" + customerId, null, patch);
    }

    public void patchJobRequest(Exchange exchange, long jobId, JsonNode patch) {
        request(exchange, "PATCH", "/jpm/v2/tenant/" + conn.tenantId() + "/jobs/" + jobId, null, patch);
    }

    /**
     * The tenant's customer custom-field definitions, name -> type id: read once and kept ({@code reread}: read again,
     * after a name was not found). Active ones only.
     */
    public Map<String, Long> customerCustomFields(boolean reread) throws Exception {
        Map<String, Long> types = customFieldTypes;
        if (types != null && !reread) {
            return types;
        }
        Map<String, Long> read = new LinkedHashMap<>();
        for (int page = 1; page <= 100; page++) {
            JsonNode answer = get("/crm/v2/tenant/" + conn.tenantId() + "/customers/custom-fields",
                    params("page", String.valueOf(page), "pageSize", "200"));
            for (JsonNode f : answer.path("data")) {
                if (f.path("active").asBoolean(true) && f.hasNonNull("name")) {
                    read.putIfAbsent(f.path("name").asText(), f.path("id").asLong());
                }
            }
            if (!answer.path("hasMore").asBoolean(false)) {
                break;
            }
        }
        customFieldTypes = java.util.Collections.unmodifiableMap(read);
        return customFieldTypes;
    }

    /**
     * The type ids of these custom-field names: the kept definitions, read again once if a name is unknown (a field
     * added in ServiceTitan since). A name still unknown is missing from the answer.
     */
    public Map<String, Long> customFieldTypesFor(java.util.Collection<String> names) throws Exception {
        Map<String, Long> types = customerCustomFields(false);
        if (!types.keySet().containsAll(names)) {
            types = customerCustomFields(true);
        }
        return types;
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

    // ---- calls: every one goes through the servicetitan-call route, whose HTTP step Hawtio shows ----

    public static final String METHOD = "serviceTitanMethod";
    public static final String PATH = "serviceTitanPath";
    public static final String QUERY = "serviceTitanQuery";
    public static final String REQUEST_BODY = "serviceTitanRequestBody";
    /** The camel-http endpoint of the connection's API (base URL and timeouts); the route's toD step calls it. */
    public static final String API = "serviceTitanApi";
    private static final String BEARER = "serviceTitanBearer";

    public JsonNode get(String path, Map<String, String> query) throws Exception {
        return send("GET", path, query, null);
    }

    /** A call from Java (the poll's export pages, the probe): through the servicetitan-call route all the same. */
    public JsonNode send(String method, String path, Map<String, String> query, JsonNode body) throws Exception {
        Exchange result = template.send("direct:servicetitan-call", exchange -> request(exchange, method, path, query,
                body));
        if (result.getException() != null) {
            throw result.getException();
        }
        return result.getMessage().getBody(JsonNode.class);
    }

    private void request(Exchange exchange, String method, String path, Map<String, String> query, JsonNode body) {
        exchange.setProperty(ServiceTitanClients.CONNECTION, conn.name());
        exchange.setProperty(METHOD, method);
        exchange.setProperty(PATH, path);
        exchange.setProperty(QUERY, query == null || query.isEmpty() ? null : encode(query));
        exchange.setProperty(REQUEST_BODY, body);
    }

    /**
     * Before the HTTP step: the request's method, path, query and body, the connection's token (cached, renewed before
     * it expires), ST-App-Key and JSON headers, and its pace. Nothing else of the exchange reaches ServiceTitan.
     */
    public void authorize(Exchange exchange) throws Exception {
        String bearer = accessToken();
        pacer.acquire();
        Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_METHOD, exchange.getProperty(METHOD, String.class));
        m.setHeader(Exchange.HTTP_PATH, exchange.getProperty(PATH, String.class));
        String query = exchange.getProperty(QUERY, String.class);
        if (query != null) {
            m.setHeader(Exchange.HTTP_QUERY, query);
        }
        m.setHeader("Authorization", "Bearer " + bearer);
        m.setHeader("ST-App-Key", conn.appKey());
        m.setHeader("Accept", "application/json");
        JsonNode body = exchange.getProperty(REQUEST_BODY, JsonNode.class);
        if (body != null) {
            m.setHeader(Exchange.CONTENT_TYPE, "application/json");
            m.setBody(json.writeValueAsBytes(body));
        } else {
            m.setBody(null);
        }
        exchange.setProperty(BEARER, bearer);
        exchange.setProperty(API, apiEndpoint);
    }

    /** ServiceTitan refused the token (401): fetch a new one; the route sends the request once more. */
    public void tokenRefused(Exchange exchange) throws Exception {
        LOG.info("ServiceTitan refused the access token (401); fetching a new one");
        invalidate(exchange.getProperty(BEARER, String.class));
        authorize(exchange);
    }

    /** After the HTTP step: the answer as JSON, counted. */
    public void answer(Exchange exchange) {
        pacer.succeeded();
        Message m = exchange.getMessage();
        count(exchange, String.valueOf(m.getHeader(Exchange.HTTP_RESPONSE_CODE, 200, Integer.class)));
        m.setBody(parse(m.getBody(String.class)));
    }

    /** A failed call: counted, then back to the caller's error handling (retry, hold, dead letter). */
    public void failed(Exchange exchange) throws Exception {
        Exception failure = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        if (failure instanceof HttpOperationFailedException h && h.getStatusCode() == 429) {
            // The tenant's limit is lower than the budget thinks (other apps share it): every node waits.
            pacer.pause(retryAfterSeconds(h));
        }
        count(exchange, failure instanceof HttpOperationFailedException h ? String.valueOf(h.getStatusCode())
                : "error");
        throw failure;
    }

    /** Retry-After in seconds (a number; a date or nothing: 1 s). */
    static double retryAfterSeconds(HttpOperationFailedException h) {
        String value = h.getResponseHeaders() == null ? null : h.getResponseHeaders().entrySet().stream()
                .filter(e -> e.getKey().equalsIgnoreCase("Retry-After")).map(Map.Entry::getValue).findFirst()
                .orElse(null);
        try {
            return value == null ? 1 : Math.min(60, Math.max(0, Double.parseDouble(value.trim())));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private void count(Exchange exchange, String status) {
        metrics.count("bridge.servicetitan.calls", "endpoint", exchange.getProperty(METHOD, String.class) + " "
                + endpointName(exchange.getProperty(PATH, String.class)), "status", status);
    }

    // ---- OAuth client credentials ----

    public String accessToken() throws Exception {
        return accessToken(Long.MAX_VALUE); // the request itself is bounded by the connect and response timeouts
    }

    /**
     * The cached token, or a new one. One request for a token is under way at a time, made by a thread of its own:
     * every caller waits for its outcome, so a slow token endpoint costs each caller one wait, not one per caller
     * before it (a lock held over the call did). The health check waits at most {@code waitMs}.
     */
    public String accessToken(long waitMs) throws Exception {
        java.util.concurrent.CompletableFuture<String> request;
        synchronized (this) {
            if (token != null && clock.instant().isBefore(tokenRenewAt)) {
                return token;
            }
            if (tokenRequest == null) {
                java.util.concurrent.CompletableFuture<String> started = new java.util.concurrent.CompletableFuture<>();
                tokenRequest = started;
                Thread requester = new Thread(() -> {
                    String got = null;
                    Throwable failed = null;
                    try {
                        got = requestToken();
                    } catch (Throwable e) {
                        failed = e;
                    }
                    synchronized (this) {
                        tokenRequest = null; // before the outcome: a later caller starts afresh, never joins a failure
                    }
                    if (failed != null) {
                        started.completeExceptionally(failed);
                    } else {
                        started.complete(got);
                    }
                }, "servicetitan-token-" + conn.name());
                requester.setDaemon(true);
                requester.start();
            }
            request = tokenRequest;
        }
        try {
            return request.get(waitMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("ServiceTitan's token endpoint has not answered within " + waitMs + " ms");
        }
    }

    private String requestToken() throws Exception {
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
        if (result.getException() instanceof HttpOperationFailedException h && h.getStatusCode() >= 400
                && h.getStatusCode() < 500 && h.getStatusCode() != 408 && h.getStatusCode() != 429) {
            String error = h.getResponseBody() == null ? "" : parse(h.getResponseBody()).path("error").asText("");
            throw new CredentialsRefused(conn.name(), "token endpoint: HTTP " + h.getStatusCode()
                    + (error.isEmpty() ? "" : " " + error), h);
        }
        if (result.getException() != null) {
            throw result.getException();
        }
        JsonNode answer = parse(result.getMessage().getBody(String.class));
        String accessToken = answer.path("access_token").asText(null);
        if (accessToken == null || accessToken.isEmpty()) {
            throw new IllegalStateException("ServiceTitan token endpoint answered without access_token");
        }
        long lifetime = answer.path("expires_in").asLong(900);
        synchronized (this) {
            token = accessToken;
        // The margin is at most a tenth of the lifetime: a 60 s margin on a 30 s token would renew at every call.
        long margin = Math.min(conn.refreshMarginSeconds(), lifetime / 10);
            tokenRenewAt = clock.instant().plusSeconds(Math.max(0, lifetime - margin));
        }
        LOG.debug("New ServiceTitan access token, valid {} s", lifetime);
        return accessToken;
    }

    synchronized void invalidate(String rejected) {
        if (rejected != null && rejected.equals(token)) {
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
