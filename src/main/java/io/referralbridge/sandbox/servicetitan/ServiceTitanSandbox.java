package io.referralbridge.sandbox.servicetitan;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.referralbridge.config.Settings;
import io.referralbridge.sandbox.Fault;
import io.referralbridge.sandbox.Faults;
import io.referralbridge.sandbox.LocalHttpServer;
import io.referralbridge.sandbox.SandboxHttp;
import io.referralbridge.sandbox.SandboxHttp.BadRequest;
import io.referralbridge.sandbox.SandboxHttp.Reply;
import io.referralbridge.sandbox.SandboxStore;

import static io.referralbridge.sandbox.SandboxHttp.match;
import static io.referralbridge.sandbox.servicetitan.Paging.inIds;
import static io.referralbridge.sandbox.servicetitan.Paging.matches;
import static io.referralbridge.sandbox.servicetitan.Paging.modifiedAfter;

/**
 * A stateful stand-in for the parts of ServiceTitan the bridge uses, served over real HTTP: OAuth client-credentials
 * tokens that expire ({@link Tokens}), the ST-App-Key check, bookings through a booking provider ({@link Bookings}),
 * jobs ({@link Jobs}), invoices ({@link Invoices}), export feeds with continuation tokens ({@link ExportFeeds}),
 * paging, RFC 7807 errors. A control API ({@code /sandbox/...}, and the same operations in Java) converts bookings into
 * jobs, moves job statuses, sets invoices and injects faults (status codes with Retry-After, slow answers, revoked
 * tokens). The bridge knows it only as a base URL.
 *
 * <p>Every resource is read and changed under this object's lock, so the resources themselves need no locking.
 */
public final class ServiceTitanSandbox implements AutoCloseable {

    public record Options(int port, String tenantId, String appKey, String clientId, String clientSecret,
                          int tokenLifetimeSeconds, int exportPageSize) {

        public static Options from(Settings s) {
            return new Options(s.getInt("bridge.sandbox.servicetitan.port"),
                    s.required("servicetitan.tenant-id"), s.required("servicetitan.app-key"),
                    s.required("servicetitan.client-id"), s.required("servicetitan.client-secret"),
                    s.getInt("bridge.sandbox.servicetitan.token-lifetime-seconds"),
                    s.getInt("bridge.sandbox.servicetitan.export-page-size"));
        }
    }

    private static final Pattern TENANT_PATH = Pattern.compile("^/(crm|jpm|accounting)/v2/tenant/([^/]+)(/.*)$");

    private final Options options;
    private final LocalHttpServer server;
    private final ObjectMapper json = new ObjectMapper();
    private final Clock clock;
    private final Tokens tokens;
    private final Faults faults = new Faults();
    private final Map<String, AtomicInteger> requestCounts = new ConcurrentHashMap<>();
    private final ExportFeeds feeds;
    private final Bookings bookings;
    private final Jobs jobs;
    private final Invoices invoices;
    private final Customers customers;
    private final Webhooks webhooks;
    private volatile int rateLimitPerSecond;
    private long windowSecond;
    private int windowCount;

    private ServiceTitanSandbox(Options options, Clock clock, SandboxStore store) throws IOException {
        this.options = options;
        this.clock = clock;
        this.tokens = new Tokens(options, clock, json);
        this.feeds = new ExportFeeds(json, store, options.exportPageSize());
        this.webhooks = new Webhooks(json, options.tenantId());
        Records records = new Records(json, clock, store, feeds, webhooks);
        this.bookings = new Bookings(records);
        this.jobs = new Jobs(records);
        this.invoices = new Invoices(records);
        this.customers = new Customers(records);
        this.server = new LocalHttpServer("servicetitan-sandbox", options.port(), 16, 128, this::handle);
    }

    public static ServiceTitanSandbox start(Options options) {
        return start(options, Clock.systemUTC(), SandboxStore.NONE);
    }

    /** A sandbox whose state outlives a restart: it continues from what the store holds. */
    public static ServiceTitanSandbox start(Options options, Clock clock, SandboxStore store) {
        try {
            ServiceTitanSandbox s = new ServiceTitanSandbox(options, clock, store);
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
        webhooks.close();
        server.close();
    }

    // ------------------------------------------------------------------ control API (Java)

    public void injectFault(Fault fault) {
        faults.add(fault);
    }

    public void clearFaults() {
        faults.clear();
        synchronized (this) {
            webhooks.clearFaults();
        }
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

    /** Every token issued so far stops working, as when ServiceTitan revokes an integration's tokens. */
    public void revokeTokens() {
        tokens.revokeAll();
    }

    /**
     * The client's secret is regenerated in ServiceTitan (true): tokens are revoked and the token endpoint answers 400
     * invalid_client, until the bridge's secret matches again (false).
     */
    public void refuseClient(boolean refused) {
        tokens.refuseClient(refused);
    }

    /** Every access token handed out so far (for tests that check tokens never leak into logs). */
    public Set<String> issuedTokens() {
        return tokens.everIssued();
    }

    public int requestCount(String key) {
        AtomicInteger n = requestCounts.get(key);
        return n == null ? 0 : n.get();
    }

    public synchronized List<ObjectNode> bookings() {
        return copies(bookings.all());
    }

    public synchronized List<ObjectNode> bookingsWithExternalId(String externalId) {
        return copies(bookings.withExternalId(externalId));
    }

    public synchronized ObjectNode job(long id) {
        ObjectNode j = jobs.find(id);
        return j == null ? null : j.deepCopy();
    }

    /** A customer as ServiceTitan answers it, with the externalData of {@code applicationGuid} (null: none). */
    public synchronized ObjectNode customer(long id, String applicationGuid) {
        ObjectNode c = customers.find(id);
        return c == null ? null : ExternalData.answer(c, applicationGuid);
    }

    /** A job as ServiceTitan answers it, with the externalData of {@code applicationGuid}. */
    public synchronized ObjectNode job(long id, String applicationGuid) {
        ObjectNode j = jobs.find(id);
        return j == null ? null : ExternalData.answer(j, applicationGuid);
    }

    /** A person in the call centre books the booking into a job. */
    public synchronized ObjectNode convertBooking(long bookingId) {
        ObjectNode b = bookings.get(bookingId);
        if (!b.path("jobId").isNull()) {
            return jobs.get(b.path("jobId").asLong()).deepCopy();
        }
        ObjectNode j = jobs.fromBooking(b, customers.fromBooking(b).path("id").asLong());
        bookings.converted(b, j.path("id").asLong());
        return j.deepCopy();
    }

    /** A customer ServiceTitan already has (from an earlier job), with an email and a phone (either may be null). */
    public synchronized ObjectNode addCustomer(String name, String email, String phone) {
        return customers.add(name, email, phone).deepCopy();
    }

    /**
     * The customer phones the office, which books a job directly: no booking. {@code referralCode} (or null) is what
     * the agent typed into the job's "Referral Code" custom field.
     */
    public synchronized ObjectNode phoneInJob(long customerId, String referralCode) {
        if (customers.find(customerId) == null) {
            throw new IllegalArgumentException("No customer " + customerId);
        }
        return jobs.phoneIn(customerId, "Referral Code", referralCode).deepCopy();
    }

    /**
     * ServiceTitan's v2 webhooks to {@code url} (null: none) for every change of a job, booking or invoice, signed
     * with {@code hmacKey} (null: unsigned).
     */
    public synchronized void subscribeWebhooks(String url, String hmacKey) {
        webhooks.subscribe(url, hmacKey);
    }

    /** The delays of the retries after a failed delivery (ServiceTitan's: 10, 30, 60 and 300 s). */
    public synchronized void webhookRetryDelays(long... delaysMs) {
        webhooks.retryDelays(delaysMs);
    }

    /** The next {@code count} events lost ("lose"), sent twice ("duplicate"), swapped with the next ("reorder") or late. */
    public synchronized void webhookFault(String kind, int count, long delayMs) {
        webhooks.fault(kind, count, delayMs);
    }

    /** Webhook figures: events, lost, delivered, given up, "answered <status>", "no answer". */
    public int webhookCount(String what) {
        return webhooks.count(what);
    }

    /** An office user types a value into one of the customer's custom fields (by the field's name). */
    public synchronized void setCustomerField(long customerId, String field, String value) {
        String typeId = Customers.CUSTOM_FIELDS.stream().filter(f -> f[1].equals(field)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No customer custom field " + field))[0];
        ObjectNode patch = json.createObjectNode();
        patch.putArray("customFields").addObject().put("typeId", Long.parseLong(typeId)).put("value", value);
        if (customers.patch(customerId, patch) == null) {
            throw new IllegalArgumentException("No customer " + customerId);
        }
    }

    /** The customer was merged or deleted: it answers 404, while its jobs remain. */
    public synchronized void forgetCustomer(long customerId) {
        customers.forget(customerId);
    }

    /** The office changes a job's type. */
    public synchronized ObjectNode setJobType(long jobId, Long jobTypeId) {
        return jobs.setType(jobId, jobTypeId).deepCopy();
    }

    public synchronized ObjectNode setJobStatus(long jobId, String status) {
        return jobs.setStatus(jobId, status).deepCopy();
    }

    /** Creates or updates the job's invoice; money as strings, as ServiceTitan sends it. */
    public synchronized ObjectNode setInvoice(long jobId, String total, String balance) {
        ObjectNode j = jobs.get(jobId);
        ObjectNode inv = invoices.set(j, total, balance);
        jobs.invoiced(j, inv.path("id").asLong(), total);
        return inv.deepCopy();
    }

    /** A refund: a credit invoice of {@code amount} against the job (its invoices then total that much less). */
    public synchronized ObjectNode creditInvoice(long jobId, String amount) {
        return invoices.credit(jobs.get(jobId), amount).deepCopy();
    }

    /**
     * The technician completes a job for this customer now (it shows in the jobs feed), of a job type and business unit
     * (either null).
     */
    public synchronized ObjectNode completeJob(long customerId, Long jobTypeId, Long businessUnitId) {
        if (customers.find(customerId) == null) {
            throw new IllegalArgumentException("No customer " + customerId);
        }
        return jobs.completed(customerId, null, jobTypeId, businessUnitId).deepCopy();
    }

    /**
     * A tenant's past work: {@code n} customers, each with an email ({@code <prefix><i>@example.com}) and a phone, and one
     * job completed at {@code completedOn}. Returns their ids.
     */
    public synchronized List<Long> addCompletedCustomers(int n, String prefix, Instant completedOn) {
        List<Long> ids = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            ObjectNode c = customers.add("Customer " + prefix + i, prefix + i + "@example.com",
                    String.format("555%07d", i));
            jobs.completed(c.path("id").asLong(), completedOn.toString(), null, null);
            ids.add(c.path("id").asLong());
        }
        return ids;
    }

    /** An office user changes one of a customer's fields (doNotMail, doNotService, active, name). */
    public synchronized void setCustomer(long customerId, String field, Object value) {
        ObjectNode patch = json.createObjectNode();
        patch.set(field, json.valueToTree(value));
        if (customers.patch(customerId, patch) == null) {
            throw new IllegalArgumentException("No customer " + customerId);
        }
    }

    /** Records {@code n} changes to jobs that belong to no referral (load for poll tests). */
    public synchronized void addUnrelatedJobs(int n) {
        for (int i = 0; i < n; i++) {
            jobs.addUnrelated(null);
        }
    }

    /** A tenant's history: {@code n} jobs completed long ago (last changed at {@code modifiedOn}), in the feeds. */
    public synchronized void addPastJobs(int n, Instant modifiedOn) {
        for (int i = 0; i < n; i++) {
            jobs.addUnrelated(modifiedOn.toString());
        }
    }

    /**
     * Holds back the changes of these feeds (they appear in their export feed only on {@link #releaseFeeds}), as when
     * ServiceTitan's feeds lag one another: an invoice can then be seen before the job it belongs to.
     */
    public synchronized void holdFeeds(String... feeds) {
        this.feeds.hold(feeds);
    }

    public synchronized void releaseFeeds() {
        feeds.release();
    }

    /** The call centre dismisses a booking (no job will come of it). */
    public synchronized ObjectNode dismissBooking(long bookingId) {
        return bookings.setStatus(bookingId, "Dismissed").deepCopy();
    }

    /** A dismissed booking is taken up again. */
    public synchronized ObjectNode reopenBooking(long bookingId) {
        return bookings.setStatus(bookingId, "New").deepCopy();
    }

    /** How many export calls of a feed were answered (a poll cycle reads each feed at least once). */
    public synchronized int exportCalls(String feed) {
        return feeds.calls(feed);
    }

    /** The query of the latest export call of a feed (bookings, jobs, invoices), as ServiceTitan received it. */
    public synchronized Map<String, String> lastExportQuery(String feed) {
        return feeds.lastQuery(feed);
    }

    private static List<ObjectNode> copies(Iterable<ObjectNode> nodes) {
        List<ObjectNode> out = new java.util.ArrayList<>();
        nodes.forEach(n -> out.add(n.deepCopy()));
        return out;
    }

    // ------------------------------------------------------------------ HTTP

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String path = ex.getRequestURI().getPath();
            byte[] body = ex.getRequestBody().readAllBytes();
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
            SandboxHttp.send(ex, reply, json);
        }
    }

    private Reply dispatch(String method, String path, String rawQuery, byte[] body, HttpExchange ex) {
        if (path.startsWith("/sandbox/")) {
            return control(method, path, body);
        }
        Map<String, String> q = SandboxHttp.query(rawQuery);
        count(method + " " + normalise(path));
        arrived();
        if (overRateLimit()) {
            count("429 rate limited");
            return problem(429, "Too many requests", null).header("Retry-After", "1");
        }
        // A fault matches the path and query (so it can aim at one referral: "externalId=CODE").
        Fault fault = faults.take(method, rawQuery == null ? path : path + "?" + rawQuery);
        if (fault != null) {
            Faults.delay(fault);
            if (fault.status() > 0) {
                if (fault.answerLost()) {
                    serve(method, path, q, body, ex);
                }
                Reply r = problem(fault.status(), "Injected fault", null);
                if (fault.retryAfterSeconds() != null) {
                    r.header("Retry-After", String.valueOf(fault.retryAfterSeconds()));
                }
                return r;
            }
        }
        return serve(method, path, q, body, ex);
    }

    private Reply serve(String method, String path, Map<String, String> q, byte[] body, HttpExchange ex) {
        if (path.equals("/connect/token") && method.equals("POST")) {
            return tokens.issue(new String(body, StandardCharsets.UTF_8));
        }
        Matcher m = TENANT_PATH.matcher(path);
        if (!m.matches()) {
            return problem(404, "Not found: " + path, null);
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || !tokens.valid(auth.substring(7).trim())) {
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
                    return new Reply(200, bookings.create(provider, SandboxHttp.object(body, json)));
                }
                Iterable<ObjectNode> candidates = q.containsKey("externalId")
                        ? bookings.withExternalId(q.get("externalId")) : bookings.all();
                return page(candidates, q, b -> b.path("bookingProviderId").asLong() == provider
                        && matches(q, "externalId", b.path("externalId").asText())
                        && inIds(q, b) && modifiedAfter(q, b));
            }
            if ((m = match("^/booking-provider/(\\d+)/bookings/(\\d+)$", rest)) != null) {
                ObjectNode b = bookings.find(Long.parseLong(m.group(2)));
                if (b == null || b.path("bookingProviderId").asLong() != Long.parseLong(m.group(1))) {
                    return problem(404, "Booking not found", null);
                }
                return new Reply(200, b);
            }
            if (rest.equals("/customers")) {
                return page(customers.all(), q, c -> inIds(q, c) && modifiedAfter(q, c)
                        && (q.get("phone") == null || customers.hasPhone(c, q.get("phone")))
                        && (q.get("name") == null || c.path("name").asText().toLowerCase(java.util.Locale.ROOT)
                                .contains(q.get("name").toLowerCase(java.util.Locale.ROOT))));
            }
            if ((m = match("^/customers/(\\d+)/contacts$", rest)) != null) {
                List<ObjectNode> contacts = customers.contactsOf(Long.parseLong(m.group(1)));
                return contacts == null ? problem(404, "Customer not found", null) : page(contacts, q, x -> true);
            }
            if (rest.equals("/customers/custom-fields")) {
                return page(customers.customFieldTypes(), q, x -> true);
            }
            if ((m = match("^/customers/(\\d+)$", rest)) != null) {
                long id = Long.parseLong(m.group(1));
                ObjectNode c = method.equals("PATCH") ? customers.patch(id, SandboxHttp.object(body, json))
                        : customers.find(id);
                return c == null ? problem(404, "Customer not found", null)
                        : new Reply(200, ExternalData.answer(c, q.get("externalDataApplicationGuid")));
            }
            if (rest.equals("/contacts/contact-methods")) {
                return page(customers.methods(q), q, x -> true);
            }
            if ((m = match("^/contacts/(\\d+)/relationships$", rest)) != null) {
                List<ObjectNode> related = customers.relationships(Long.parseLong(m.group(1)));
                return related == null ? problem(404, "Contact not found", null) : page(related, q, x -> true);
            }
            if (rest.equals("/export/bookings")) {
                return new Reply(200, feeds.export("bookings", q));
            }
        } else if (module.equals("jpm")) {
            if (rest.equals("/jobs")) {
                return page(jobs.all(), q, j -> matches(q, "bookingId", j.path("bookingId").asText())
                        && matches(q, "jobStatus", j.path("jobStatus").asText()) && inIds(q, j)
                        && modifiedAfter(q, j) && Paging.completedIn(q, j));
            }
            if ((m = match("^/jobs/(\\d+)$", rest)) != null) {
                long id = Long.parseLong(m.group(1));
                ObjectNode j = method.equals("PATCH") ? jobs.patch(id, SandboxHttp.object(body, json)) : jobs.find(id);
                return j == null ? problem(404, "Job not found", null)
                        : new Reply(200, ExternalData.answer(j, q.get("externalDataApplicationGuid")));
            }
            if (rest.equals("/export/jobs")) {
                return new Reply(200, feeds.export("jobs", q));
            }
        } else if (module.equals("accounting")) {
            if (rest.equals("/invoices")) {
                return page(invoices.all(), q, i -> matches(q, "jobId", i.path("job").path("id").asText())
                        && inIds(q, i) && modifiedAfter(q, i));
            }
            if (rest.equals("/export/invoices")) {
                return new Reply(200, feeds.export("invoices", q));
            }
        }
        return problem(404, "Not found: " + rest, null);
    }

    private Reply page(Iterable<ObjectNode> all, Map<String, String> q,
                       java.util.function.Predicate<ObjectNode> filter) {
        return new Reply(200, Paging.page(json, all, q, filter));
    }

    private Reply control(String method, String path, byte[] body) {
        Matcher m;
        JsonNode req = body.length == 0 ? json.createObjectNode() : SandboxHttp.object(body, json);
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
        if ((m = match("^/sandbox/jobs/(\\d+)/credit$", path)) != null && method.equals("POST")) {
            return new Reply(200, creditInvoice(Long.parseLong(m.group(1)), req.path("amount").asText("0.00")));
        }
        if ((m = match("^/sandbox/(customers|jobs)/(\\d+)$", path)) != null && method.equals("GET")) {
            synchronized (this) {
                ObjectNode r = m.group(1).equals("customers") ? customers.find(Long.parseLong(m.group(2)))
                        : jobs.find(Long.parseLong(m.group(2)));
                return r == null ? problem(404, "Not found: " + path, null)
                        : new Reply(200, ExternalData.everything(r));
            }
        }
        if ((m = match("^/sandbox/customers/(\\d+)/jobs$", path)) != null && method.equals("POST")) {
            return new Reply(200, phoneInJob(Long.parseLong(m.group(1)), req.path("referralCode").asText(null)));
        }
        if ((m = match("^/sandbox/customers/(\\d+)/completed-jobs$", path)) != null && method.equals("POST")) {
            return new Reply(200, completeJob(Long.parseLong(m.group(1)), null, null));
        }
        if (path.equals("/sandbox/past-customers") && method.equals("POST")) {
            // A tenant's past work, for a backfill: {"count": 50, "completedOn": "2026-06-01T00:00:00Z"}
            List<Long> ids = addCompletedCustomers(req.path("count").asInt(10), req.path("prefix").asText("past"),
                    Instant.parse(req.path("completedOn").asText(Instant.now().minusSeconds(30 * 86400).toString())));
            return new Reply(200, json.createObjectNode().put("customers", ids.size()));
        }
        if (path.equals("/sandbox/customers") && method.equals("POST")) {
            return new Reply(200, addCustomer(req.path("name").asText("Customer"), req.path("email").asText(null),
                    req.path("phone").asText(null)));
        }
        if (path.equals("/sandbox/webhooks") && method.equals("POST")) {
            subscribeWebhooks(req.path("url").asText(null), req.path("hmacKey").asText(null));
            return new Reply(204, null);
        }
        if (path.equals("/sandbox/webhooks") && method.equals("DELETE")) {
            subscribeWebhooks(null, null);
            return new Reply(204, null);
        }
        if (path.equals("/sandbox/webhooks/faults") && method.equals("POST")) {
            webhookFault(req.path("kind").asText(""), req.path("count").asInt(1), req.path("delayMs").asLong(0));
            return new Reply(204, null);
        }
        if (path.equals("/sandbox/webhooks") && method.equals("GET")) {
            ObjectNode stats = json.createObjectNode();
            webhooks.countNames().forEach(k -> stats.put(k, webhooks.count(k)));
            return new Reply(200, stats);
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

    // Arrival times (System.nanoTime()) of API calls, for the rate a cluster sends; the first million are kept.
    private final long[] arrivals = new long[1_000_000];
    private int arrivalCount;

    private synchronized void arrived() {
        if (arrivalCount < arrivals.length) {
            arrivals[arrivalCount++] = System.nanoTime();
        }
    }

    /** The most API calls received within any one second (a sliding window), since the start or the last reset. */
    public synchronized int maxCallsInAnySecond() {
        long[] sorted = java.util.Arrays.copyOf(arrivals, arrivalCount);
        java.util.Arrays.sort(sorted);
        int max = 0;
        int from = 0;
        for (int to = 0; to < sorted.length; to++) {
            while (sorted[to] - sorted[from] >= 1_000_000_000L) {
                from++;
            }
            max = Math.max(max, to - from + 1);
        }
        return max;
    }

    /** The most API calls received within one clock second (fixed windows, as the sandbox's own rate limit counts). */
    public synchronized int maxCallsInOneClockSecond() {
        long offset = System.currentTimeMillis() * 1_000_000L - System.nanoTime();
        Map<Long, Integer> perSecond = new java.util.HashMap<>();
        int max = 0;
        for (int i = 0; i < arrivalCount; i++) {
            max = Math.max(max, perSecond.merge((arrivals[i] + offset) / 1_000_000_000L, 1, Integer::sum));
        }
        return max;
    }

    /** API calls received per second between the first and the last, since the start or the last reset. */
    public synchronized double callsPerSecond() {
        if (arrivalCount < 2) {
            return 0;
        }
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (int i = 0; i < arrivalCount; i++) {
            first = Math.min(first, arrivals[i]);
            last = Math.max(last, arrivals[i]);
        }
        return (arrivalCount - 1) / ((last - first) / 1e9);
    }

    public synchronized void resetArrivals() {
        arrivalCount = 0;
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

    /** ServiceTitan's error shape: RFC 7807 with {@code errors} per field. */
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
        return new Reply(status, p).header("Content-Type", "application/problem+json");
    }
}
