package io.referralbridge.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.referralbridge.config.Settings;

/**
 * A stateful stand-in for the parts of ServiceTitan the bridge uses, served over real HTTP: OAuth client-credentials
 * tokens that expire, the ST-App-Key check, bookings through a booking provider, jobs, invoices, export feeds with
 * continuation tokens, paging, RFC 7807 errors. A control API ({@code /sandbox/...}, and the same operations in Java)
 * converts bookings into jobs, moves job statuses, sets invoices and injects faults (status codes with Retry-After,
 * slow answers, revoked tokens). The bridge knows it only as a base URL.
 */
public final class ServiceTitanSandbox implements AutoCloseable {

    public record Options(int port, String tenantId, String appKey, String clientId, String clientSecret,
                          int tokenLifetimeSeconds, int exportPageSize) {

        public static Options from(Settings s) {
            return new Options(s.getInt("bridge.sandbox.servicetitan.port", 0),
                    s.required("servicetitan.tenant-id"), s.required("servicetitan.app-key"),
                    s.required("servicetitan.client-id"), s.required("servicetitan.client-secret"),
                    s.getInt("bridge.sandbox.servicetitan.token-lifetime-seconds", 900),
                    s.getInt("bridge.sandbox.servicetitan.export-page-size", 500));
        }
    }

    /**
     * A fault to inject: the next {@code count} requests whose method and path match answer {@code status} (after
     * {@code delayMs}). With {@code answerLost} the request is carried out first and only its answer is replaced, as
     * when a connection drops after ServiceTitan did the work.
     */
    public record Fault(String method, String pathContains, int status, Integer retryAfterSeconds, int count,
                        long delayMs, boolean answerLost) {

        public static Fault status(String method, String pathContains, int status, int count) {
            return new Fault(method, pathContains, status, null, count, 0, false);
        }

        public static Fault retryAfter(String method, String pathContains, int status, int seconds, int count) {
            return new Fault(method, pathContains, status, seconds, count, 0, false);
        }
    }

    private static final Pattern TENANT_PATH = Pattern.compile("^/(crm|jpm|accounting)/v2/tenant/([^/]+)(/.*)$");

    private final Options options;
    private final LocalHttpServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock;

    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final java.util.Set<String> everIssued = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> requestCounts = new ConcurrentHashMap<>();
    private final List<MutableFault> faults = new ArrayList<>();
    private final Map<Long, ObjectNode> bookings = new LinkedHashMap<>();
    // ServiceTitan looks bookings up by externalId without scanning; so does the sandbox (tests poll it in loops).
    private final Map<String, List<Long>> bookingsByExternalId = new HashMap<>();
    private final Map<Long, ObjectNode> jobs = new LinkedHashMap<>();
    private final Map<Long, ObjectNode> invoices = new LinkedHashMap<>();
    private final List<Change> changes = new ArrayList<>();
    private long nextId = 1000;
    private volatile int rateLimitPerSecond;
    private long windowSecond;
    private int windowCount;
    private long seq = 0;
    private final java.util.Set<String> heldFeeds = new java.util.HashSet<>();
    private final List<Change> held = new ArrayList<>();
    private final Map<String, Map<String, String>> lastExportQuery = new java.util.HashMap<>();
    private final Map<String, Integer> exportCalls = new java.util.HashMap<>();

    private record Change(long seq, String feed, ObjectNode snapshot) {
    }

    private static final class MutableFault {
        final Fault fault;
        int remaining;

        MutableFault(Fault fault) {
            this.fault = fault;
            this.remaining = fault.count();
        }
    }

    private ServiceTitanSandbox(Options options, Clock clock) throws IOException {
        this.options = options;
        this.clock = clock;
        this.server = new LocalHttpServer("servicetitan-sandbox", options.port(), 16, 128, this::handle);
    }

    public static ServiceTitanSandbox start(Options options) {
        return start(options, Clock.systemUTC());
    }

    public static ServiceTitanSandbox start(Options options, Clock clock) {
        try {
            ServiceTitanSandbox s = new ServiceTitanSandbox(options, clock);
            s.server.start();
            return s;
        } catch (IOException e) {
            throw new IllegalStateException("ServiceTitan sandbox could not listen on port " + options.port() + ": "
                    + e.getMessage(), e);
        }
    }

    public String baseUrl() {
        return server.baseUrl();
    }

    @Override
    public void close() {
        server.close();
    }

    // ------------------------------------------------------------------ control API (Java)

    public synchronized void injectFault(Fault fault) {
        faults.add(new MutableFault(fault));
    }

    /** Answers 429 (Retry-After: 1) past this many requests in one second; 0 turns the limit off. */
    public void setRateLimit(int requestsPerSecond) {
        this.rateLimitPerSecond = requestsPerSecond;
    }

    private synchronized boolean overRateLimit() {
        if (rateLimitPerSecond <= 0) {
            return false;
        }
        long second = clock.millis() / 1000;
        if (second != windowSecond) {
            windowSecond = second;
            windowCount = 0;
        }
        return ++windowCount > rateLimitPerSecond;
    }

    public synchronized void clearFaults() {
        faults.clear();
    }

    /** Every token issued so far stops working, as when ServiceTitan revokes an integration's tokens. */
    public void revokeTokens() {
        tokens.clear();
    }

    /** Every access token handed out so far (for tests that check tokens never leak into logs). */
    public java.util.Set<String> issuedTokens() {
        return java.util.Set.copyOf(everIssued);
    }

    public int requestCount(String key) {
        AtomicInteger n = requestCounts.get(key);
        return n == null ? 0 : n.get();
    }

    public synchronized List<ObjectNode> bookings() {
        return bookings.values().stream().map(ObjectNode::deepCopy).toList();
    }

    public synchronized List<ObjectNode> bookingsWithExternalId(String externalId) {
        return bookingsByExternalId.getOrDefault(externalId, List.of()).stream().map(id -> bookings.get(id).deepCopy())
                .toList();
    }

    public synchronized ObjectNode job(long id) {
        ObjectNode j = jobs.get(id);
        return j == null ? null : j.deepCopy();
    }

    /** A person in the call centre books the booking into a job. */
    public synchronized ObjectNode convertBooking(long bookingId) {
        ObjectNode b = bookings.get(bookingId);
        if (b == null) {
            throw new IllegalArgumentException("No booking " + bookingId);
        }
        if (!b.path("jobId").isNull()) {
            return jobs.get(b.path("jobId").asLong()).deepCopy();
        }
        long jobId = nextId++;
        String now = now();
        ObjectNode j = json.createObjectNode();
        j.put("id", jobId);
        j.put("jobNumber", String.valueOf(jobId));
        j.put("customerId", nextId++);
        j.put("locationId", nextId++);
        j.put("jobStatus", "Scheduled");
        j.putNull("completedOn");
        copyId(b, j, "businessUnitId");
        copyId(b, j, "jobTypeId");
        copyId(b, j, "campaignId");
        j.put("priority", b.path("priority").asText("Normal"));
        j.put("summary", b.path("summary").asText(""));
        j.putArray("customFields");
        j.put("createdOn", now);
        j.put("modifiedOn", now);
        j.put("bookingId", bookingId);
        j.putNull("invoiceId");
        j.putNull("total");
        jobs.put(jobId, j);
        record("jobs", j);
        b.put("jobId", jobId);
        b.put("status", "Converted");
        b.put("modifiedOn", now);
        record("bookings", b);
        return j.deepCopy();
    }

    public synchronized ObjectNode setJobStatus(long jobId, String status) {
        ObjectNode j = jobs.get(jobId);
        if (j == null) {
            throw new IllegalArgumentException("No job " + jobId);
        }
        String now = now();
        j.put("jobStatus", status);
        if ("Completed".equals(status)) {
            j.put("completedOn", now);
        }
        j.put("modifiedOn", now);
        record("jobs", j);
        return j.deepCopy();
    }

    /** Creates or updates the job's invoice; money as strings, as ServiceTitan sends it. */
    public synchronized ObjectNode setInvoice(long jobId, String total, String balance) {
        ObjectNode j = jobs.get(jobId);
        if (j == null) {
            throw new IllegalArgumentException("No job " + jobId);
        }
        String now = now();
        ObjectNode inv = j.path("invoiceId").isNull() ? null : invoices.get(j.path("invoiceId").asLong());
        if (inv == null) {
            inv = json.createObjectNode();
            long id = nextId++;
            inv.put("id", id);
            inv.put("referenceNumber", String.valueOf(id));
            ObjectNode jobRef = inv.putObject("job");
            jobRef.put("id", jobId);
            jobRef.put("number", j.path("jobNumber").asText());
            jobRef.put("type", "Service");
            inv.putObject("customer").put("id", j.path("customerId").asLong()).put("name", "Customer");
            inv.put("invoiceDate", now);
            inv.put("active", true);
            invoices.put(id, inv);
            j.put("invoiceId", id);
        }
        inv.put("total", total);
        inv.put("subTotal", total);
        inv.put("salesTax", "0.00");
        inv.put("balance", balance);
        if ("0.00".equals(balance)) {
            inv.put("paidOn", now);
        } else {
            inv.putNull("paidOn");
        }
        inv.put("modifiedOn", now);
        j.put("total", new java.math.BigDecimal(total));
        j.put("modifiedOn", now);
        record("invoices", inv);
        record("jobs", j);
        return inv.deepCopy();
    }

    /** Records {@code n} changes to jobs that belong to no referral (load for poll tests). */
    public synchronized void addUnrelatedJobs(int n) {
        for (int i = 0; i < n; i++) {
            long id = nextId++;
            ObjectNode j = json.createObjectNode();
            j.put("id", id);
            j.put("jobNumber", String.valueOf(id));
            j.put("jobStatus", "Scheduled");
            j.putNull("bookingId");
            j.put("createdOn", now());
            j.put("modifiedOn", now());
            jobs.put(id, j);
            record("jobs", j);
        }
    }

    private void copyId(ObjectNode from, ObjectNode to, String field) {
        if (from.hasNonNull(field)) {
            to.put(field, from.get(field).asLong());
        } else {
            to.putNull(field);
        }
    }

    private void record(String feed, ObjectNode entity) {
        if (heldFeeds.contains(feed)) {
            held.add(new Change(0, feed, entity.deepCopy()));
        } else {
            changes.add(new Change(++seq, feed, entity.deepCopy()));
        }
    }

    /**
     * Holds back the changes of these feeds (they appear in their export feed only on {@link #releaseFeeds}), as when
     * ServiceTitan's feeds lag one another: an invoice can then be seen before the job it belongs to.
     */
    public synchronized void holdFeeds(String... feeds) {
        heldFeeds.addAll(List.of(feeds));
    }

    public synchronized void releaseFeeds() {
        heldFeeds.clear();
        for (Change c : held) {
            changes.add(new Change(++seq, c.feed(), c.snapshot()));
        }
        held.clear();
    }

    /** The call centre dismisses a booking (no job will come of it). */
    public synchronized ObjectNode dismissBooking(long bookingId) {
        return setBookingStatus(bookingId, "Dismissed");
    }

    /** A dismissed booking is taken up again. */
    public synchronized ObjectNode reopenBooking(long bookingId) {
        return setBookingStatus(bookingId, "New");
    }

    private ObjectNode setBookingStatus(long bookingId, String status) {
        ObjectNode b = bookings.get(bookingId);
        if (b == null) {
            throw new IllegalArgumentException("No booking " + bookingId);
        }
        b.put("status", status);
        if (status.equals("Dismissed")) {
            b.put("dismissingReasonId", 1);
        } else {
            b.putNull("dismissingReasonId");
        }
        b.put("modifiedOn", now());
        record("bookings", b);
        return b.deepCopy();
    }

    /** How many export calls of a feed were answered (a poll cycle reads each feed at least once). */
    public synchronized int exportCalls(String feed) {
        return exportCalls.getOrDefault(feed, 0);
    }

    /** The query of the latest export call of a feed (bookings, jobs, invoices), as ServiceTitan received it. */
    public synchronized Map<String, String> lastExportQuery(String feed) {
        return lastExportQuery.getOrDefault(feed, Map.of());
    }

    private String now() {
        return clock.instant().toString();
    }

    // ------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            byte[] body = readBody(ex.getRequestBody());
            Reply reply;
            try {
                reply = dispatch(method, path, ex.getRequestURI().getRawQuery(), body, ex);
            } catch (BadRequest e) {
                reply = problem(400, e.getMessage(), e.errors);
            } catch (IllegalArgumentException e) {
                reply = problem(404, e.getMessage(), null);
            } catch (RuntimeException e) {
                reply = problem(500, "Sandbox error: " + e, null);
            }
            send(ex, reply);
        }
    }

    private Reply dispatch(String method, String path, String rawQuery, byte[] body, HttpExchange ex) {
        Map<String, String> q = query(rawQuery);
        if (path.startsWith("/sandbox/")) {
            return control(method, path, body);
        }
        count(method + " " + normalise(path));
        if (overRateLimit()) {
            count("429 rate limited");
            Reply r = problem(429, "Too many requests", null);
            r.headers.put("Retry-After", "1");
            return r;
        }
        // A fault matches the path and query (so it can aim at one referral: "externalId=CODE").
        MutableFault fault = takeFault(method, rawQuery == null ? path : path + "?" + rawQuery);
        if (fault != null) {
            sleep(fault.fault.delayMs());
            if (fault.fault.status() > 0) {
                if (fault.fault.answerLost()) {
                    serve(method, path, q, body, ex);
                }
                Reply r = problem(fault.fault.status(), "Injected fault", null);
                if (fault.fault.retryAfterSeconds() != null) {
                    r.headers.put("Retry-After", String.valueOf(fault.fault.retryAfterSeconds()));
                }
                return r;
            }
        }
        return serve(method, path, q, body, ex);
    }

    private Reply serve(String method, String path, Map<String, String> q, byte[] body, HttpExchange ex) {
        if (path.equals("/connect/token") && method.equals("POST")) {
            return token(new String(body, StandardCharsets.UTF_8));
        }
        Matcher m = TENANT_PATH.matcher(path);
        if (!m.matches()) {
            return problem(404, "Not found: " + path, null);
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || !validToken(auth.substring(7).trim())) {
            return problem(401, "Unauthorized: missing, expired or revoked access token", null);
        }
        String appKey = ex.getRequestHeaders().getFirst("ST-App-Key");
        if (appKey == null) {
            return problem(401, "ST-App-Key header is required", null);
        }
        if (!appKey.equals(options.appKey())) {
            return problem(403, "Application key is not valid for this tenant", null);
        }
        if (!m.group(2).equals(options.tenantId())) {
            return problem(404, "Tenant " + m.group(2) + " not found", null);
        }
        return api(m.group(1), method, m.group(3), q, body);
    }

    private synchronized Reply api(String module, String method, String rest, Map<String, String> q, byte[] body) {
        Matcher m;
        if (module.equals("crm")) {
            if ((m = match("^/booking-provider/(\\d+)/bookings$", rest)) != null) {
                long provider = Long.parseLong(m.group(1));
                if (method.equals("POST")) {
                    return createBooking(provider, parse(body));
                }
                Iterable<ObjectNode> candidates = q.containsKey("externalId")
                        ? bookingsByExternalId.getOrDefault(q.get("externalId"), List.of()).stream()
                                .map(bookings::get).toList()
                        : bookings.values();
                return page(candidates, q, b -> b.path("bookingProviderId").asLong() == provider
                        && matches(q, "externalId", b.path("externalId").asText())
                        && inIds(q, b) && modifiedAfter(q, b));
            }
            if ((m = match("^/booking-provider/(\\d+)/bookings/(\\d+)$", rest)) != null) {
                ObjectNode b = bookings.get(Long.parseLong(m.group(2)));
                if (b == null || b.path("bookingProviderId").asLong() != Long.parseLong(m.group(1))) {
                    return problem(404, "Booking not found", null);
                }
                return new Reply(200, b);
            }
            if (rest.equals("/export/bookings")) {
                return export("bookings", q);
            }
        } else if (module.equals("jpm")) {
            if (rest.equals("/jobs")) {
                return page(jobs.values(), q, j -> matches(q, "bookingId", j.path("bookingId").asText())
                        && matches(q, "jobStatus", j.path("jobStatus").asText()) && inIds(q, j)
                        && modifiedAfter(q, j));
            }
            if ((m = match("^/jobs/(\\d+)$", rest)) != null) {
                ObjectNode j = jobs.get(Long.parseLong(m.group(1)));
                return j == null ? problem(404, "Job not found", null) : new Reply(200, j);
            }
            if (rest.equals("/export/jobs")) {
                return export("jobs", q);
            }
        } else if (module.equals("accounting")) {
            if (rest.equals("/invoices")) {
                return page(invoices.values(), q, i -> matches(q, "jobId", i.path("job").path("id").asText())
                        && inIds(q, i) && modifiedAfter(q, i));
            }
            if (rest.equals("/export/invoices")) {
                return export("invoices", q);
            }
        }
        return problem(404, "Not found: " + rest, null);
    }

    private Reply createBooking(long provider, JsonNode req) {
        Map<String, List<String>> errors = new LinkedHashMap<>();
        for (String f : List.of("source", "name", "summary", "externalId")) {
            if (!req.hasNonNull(f) || !req.get(f).isTextual() || req.get(f).asText().isBlank()) {
                errors.put(f, List.of("The " + f + " field is required."));
            }
        }
        if (!req.hasNonNull("isFirstTimeClient") || !req.get("isFirstTimeClient").isBoolean()) {
            errors.put("isFirstTimeClient", List.of("The isFirstTimeClient field is required."));
        }
        boolean hasAddress = req.hasNonNull("address");
        boolean hasContact = req.path("contacts").isArray() && req.path("contacts").size() > 0;
        if (!hasAddress && !hasContact) {
            errors.put("contacts", List.of("A booking needs an address or a contact."));
        }
        if (hasAddress) {
            for (String part : List.of("street", "city", "state", "zip", "country")) {
                if (req.path("address").path(part).asText("").isBlank()) {
                    errors.put("address." + part, List.of("The " + part + " field is required."));
                }
            }
        }
        for (JsonNode c : req.path("contacts")) {
            if (!List.of("Phone", "Email", "Fax", "MobilePhone").contains(c.path("type").asText())) {
                errors.put("contacts.type", List.of("Unknown contact type " + c.path("type").asText()));
            }
        }
        if (!errors.isEmpty()) {
            throw new BadRequest("One or more validation errors occurred.", errors);
        }
        long id = nextId++;
        String now = now();
        ObjectNode b = ((ObjectNode) req).deepCopy();
        b.put("id", id);
        b.put("bookingProviderId", provider);
        b.put("status", "New");
        b.putNull("dismissingReasonId");
        b.putNull("jobId");
        b.put("createdOn", now);
        b.put("modifiedOn", now);
        bookings.put(id, b);
        bookingsByExternalId.computeIfAbsent(b.path("externalId").asText(), k -> new ArrayList<>()).add(id);
        record("bookings", b);
        return new Reply(200, b);
    }

    private Reply page(Iterable<ObjectNode> all, Map<String, String> q, Predicate<ObjectNode> filter) {
        int pageSize = intParam(q, "pageSize", 50, 1, 5000);
        int pageNo = intParam(q, "page", 1, 1, Integer.MAX_VALUE);
        List<ObjectNode> hits = new ArrayList<>();
        for (ObjectNode n : all) {
            if (filter.test(n)) {
                hits.add(n);
            }
        }
        int from = Math.min(hits.size(), (pageNo - 1) * pageSize);
        int to = Math.min(hits.size(), from + pageSize);
        ObjectNode env = json.createObjectNode();
        env.put("page", pageNo);
        env.put("pageSize", pageSize);
        env.put("hasMore", to < hits.size());
        if ("true".equalsIgnoreCase(q.get("includeTotal"))) {
            env.put("totalCount", hits.size());
        } else {
            env.putNull("totalCount");
        }
        ArrayNode data = env.putArray("data");
        hits.subList(from, to).forEach(n -> data.add(n.deepCopy()));
        return new Reply(200, env);
    }

    /** Export feed: every change after the continuation token, oldest first, a page at a time. */
    private Reply export(String feed, Map<String, String> q) {
        lastExportQuery.put(feed, Map.copyOf(q));
        exportCalls.merge(feed, 1, Integer::sum);
        long after = decodeFrom(q.get("from"));
        ObjectNode env = json.createObjectNode();
        ArrayNode data = env.putArray("data");
        long last = after;
        boolean more = false;
        for (Change c : changes) {
            if (c.seq() <= after || !c.feed().equals(feed)) {
                continue;
            }
            if (data.size() >= options.exportPageSize()) {
                more = true;
                break;
            }
            data.add(c.snapshot());
            last = c.seq();
        }
        if (!more) {
            last = Math.max(last, seq);
        }
        env.put("hasMore", more);
        env.put("continueFrom", Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("seq:" + last).getBytes(StandardCharsets.UTF_8)));
        return new Reply(200, env);
    }

    private long decodeFrom(String from) {
        if (from == null || from.isBlank()) {
            return 0;
        }
        try {
            String s = new String(Base64.getUrlDecoder().decode(from), StandardCharsets.UTF_8);
            if (s.startsWith("seq:")) {
                return Long.parseLong(s.substring(4));
            }
        } catch (IllegalArgumentException ignored) {
            // maybe a date
        }
        try {
            Instant since = Instant.parse(from);
            for (Change c : changes) {
                if (!Instant.parse(c.snapshot().path("modifiedOn").asText()).isBefore(since)) {
                    return c.seq() - 1;
                }
            }
            return seq;
        } catch (RuntimeException e) {
            throw new BadRequest("'from' is neither a continuation token nor a date", null);
        }
    }

    private Reply token(String form) {
        Map<String, String> f = query(form);
        if (!"client_credentials".equals(f.get("grant_type"))) {
            return oauthError("unsupported_grant_type");
        }
        if (!options.clientId().equals(f.get("client_id")) || !options.clientSecret().equals(f.get("client_secret"))) {
            return oauthError("invalid_client");
        }
        String token = UUID.randomUUID().toString().replace("-", "");
        tokens.put(token, clock.instant().plusSeconds(options.tokenLifetimeSeconds()));
        everIssued.add(token);
        ObjectNode body = json.createObjectNode();
        body.put("access_token", token);
        body.put("expires_in", options.tokenLifetimeSeconds());
        body.put("token_type", "Bearer");
        body.put("scope", "api");
        return new Reply(200, body);
    }

    private Reply oauthError(String error) {
        ObjectNode body = json.createObjectNode();
        body.put("error", error);
        return new Reply(400, body);
    }

    private boolean validToken(String token) {
        Instant expires = tokens.get(token);
        return expires != null && clock.instant().isBefore(expires);
    }

    private Reply control(String method, String path, byte[] body) {
        Matcher m;
        JsonNode req = body.length == 0 ? json.createObjectNode() : parse(body);
        if (path.equals("/sandbox/bookings") && method.equals("GET")) {
            ArrayNode a = json.createArrayNode();
            bookings().forEach(a::add);
            return new Reply(200, a);
        }
        if ((m = match("^/sandbox/bookings/(\\d+)/convert$", path)) != null && method.equals("POST")) {
            return new Reply(200, convertBooking(Long.parseLong(m.group(1))));
        }
        if ((m = match("^/sandbox/bookings/(\\d+)/dismiss$", path)) != null && method.equals("POST")) {
            return new Reply(200, dismissBooking(Long.parseLong(m.group(1))));
        }
        if ((m = match("^/sandbox/bookings/(\\d+)/reopen$", path)) != null && method.equals("POST")) {
            return new Reply(200, reopenBooking(Long.parseLong(m.group(1))));
        }
        if ((m = match("^/sandbox/jobs/(\\d+)/status$", path)) != null && method.equals("POST")) {
            return new Reply(200, setJobStatus(Long.parseLong(m.group(1)), req.path("status").asText()));
        }
        if ((m = match("^/sandbox/jobs/(\\d+)/invoice$", path)) != null && method.equals("POST")) {
            return new Reply(200, setInvoice(Long.parseLong(m.group(1)), req.path("total").asText("0.00"),
                    req.path("balance").asText(req.path("total").asText("0.00"))));
        }
        if (path.equals("/sandbox/faults") && method.equals("POST")) {
            injectFault(new Fault(req.path("method").asText(null), req.path("path").asText(""),
                    req.path("status").asInt(503),
                    req.hasNonNull("retryAfter") ? req.get("retryAfter").asInt() : null,
                    req.path("count").asInt(1), req.path("delayMs").asLong(0), req.path("answerLost").asBoolean()));
            return new Reply(204, null);
        }
        if (path.equals("/sandbox/faults") && method.equals("DELETE")) {
            clearFaults();
            return new Reply(204, null);
        }
        if (path.equals("/sandbox/tokens/revoke") && method.equals("POST")) {
            revokeTokens();
            return new Reply(204, null);
        }
        if (path.equals("/sandbox/stats") && method.equals("GET")) {
            ObjectNode stats = json.createObjectNode();
            requestCounts.forEach((k, v) -> stats.put(k, v.get()));
            return new Reply(200, stats);
        }
        return problem(404, "Unknown sandbox control " + method + " " + path, null);
    }

    private synchronized MutableFault takeFault(String method, String path) {
        Iterator<MutableFault> it = faults.iterator();
        while (it.hasNext()) {
            MutableFault f = it.next();
            if ((f.fault.method() == null || f.fault.method().equalsIgnoreCase(method))
                    && path.contains(f.fault.pathContains())) {
                if (--f.remaining <= 0) {
                    it.remove();
                }
                return f;
            }
        }
        return null;
    }

    private void count(String key) {
        requestCounts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    /** "GET /crm/v2/tenant/1/booking-provider/7/bookings/1003" -> "GET /crm/.../bookings/{id}" style keys. */
    static String normalise(String path) {
        return path.replaceAll("/tenant/[^/]+", "/tenant/{tenant}")
                .replaceAll("/booking-provider/\\d+", "/booking-provider/{bp}")
                .replaceAll("/(\\d+)(?=/|$)", "/{id}");
    }

    private Reply problem(int status, String title, Map<String, List<String>> errors) {
        ObjectNode p = json.createObjectNode();
        p.put("type", "https://tools.ietf.org/html/rfc7231#section-6.5.1");
        p.put("title", title);
        p.put("status", status);
        p.put("traceId", UUID.randomUUID().toString());
        ObjectNode e = p.putObject("errors");
        if (errors != null) {
            errors.forEach((k, v) -> {
                ArrayNode a = e.putArray(k);
                v.forEach(a::add);
            });
        }
        p.putObject("data");
        Reply r = new Reply(status, p);
        r.headers.put("Content-Type", "application/problem+json");
        return r;
    }

    private void send(HttpExchange ex, Reply reply) throws IOException {
        byte[] bytes = reply.body == null ? new byte[0] : json.writeValueAsBytes(reply.body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        reply.headers.forEach((k, v) -> ex.getResponseHeaders().set(k, v));
        ex.sendResponseHeaders(reply.status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static byte[] readBody(InputStream in) throws IOException {
        return in.readAllBytes();
    }

    private JsonNode parse(byte[] body) {
        try {
            JsonNode n = json.readTree(body);
            if (n == null || !n.isObject()) {
                throw new BadRequest("The request body must be a JSON object", null);
            }
            return n;
        } catch (IOException e) {
            throw new BadRequest("The request body is not valid JSON", null);
        }
    }

    private static Matcher match(String regex, String s) {
        Matcher m = Pattern.compile(regex).matcher(s);
        return m.matches() ? m : null;
    }

    private static boolean matches(Map<String, String> q, String param, String value) {
        String want = q.get(param);
        return want == null || want.equals(value);
    }

    private static boolean inIds(Map<String, String> q, JsonNode n) {
        String ids = q.get("ids");
        if (ids == null || ids.isBlank()) {
            return true;
        }
        for (String id : ids.split(",")) {
            if (id.trim().equals(n.path("id").asText())) {
                return true;
            }
        }
        return false;
    }

    private static boolean modifiedAfter(Map<String, String> q, JsonNode n) {
        String since = q.get("modifiedOnOrAfter");
        return since == null || !Instant.parse(n.path("modifiedOn").asText()).isBefore(Instant.parse(since));
    }

    private static int intParam(Map<String, String> q, String name, int def, int min, int max) {
        String v = q.get(name);
        if (v == null) {
            return def;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new BadRequest("'" + name + "' must be between " + min + " and " + max, null);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadRequest("'" + name + "' must be a number", null);
        }
    }

    static Map<String, String> query(String raw) {
        Map<String, String> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return out;
        }
        for (String pair : raw.split("&")) {
            int i = pair.indexOf('=');
            String k = URLDecoder.decode(i < 0 ? pair : pair.substring(0, i), StandardCharsets.UTF_8);
            String v = i < 0 ? "" : URLDecoder.decode(pair.substring(i + 1), StandardCharsets.UTF_8);
            out.put(k, v);
        }
        return out;
    }

    private static void sleep(long ms) {
        if (ms > 0) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static final class Reply {
        final int status;
        final JsonNode body;
        final Map<String, String> headers = new LinkedHashMap<>();

        Reply(int status, JsonNode body) {
            this.status = status;
            this.body = body;
        }
    }

    private static final class BadRequest extends RuntimeException {
        final Map<String, List<String>> errors;

        BadRequest(String message, Map<String, List<String>> errors) {
            super(message);
            this.errors = errors;
        }
    }
}
