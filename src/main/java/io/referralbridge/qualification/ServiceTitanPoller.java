package io.referralbridge.qualification;

import java.math.BigDecimal;
import java.sql.Array;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.lifecycle.ReferralLifecycle;
import io.referralbridge.lifecycle.Transition;
import io.referralbridge.servicetitan.ServiceTitanClient;
import io.referralbridge.servicetitan.ServiceTitanClients;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows ServiceTitan's export feeds (bookings, jobs, invoices) from their stored continuation tokens. Each page is
 * applied in one transaction together with the token that follows it, so a crash repeats at most one page and skips
 * nothing; rows are applied idempotently because the feeds repeat rows. A change costs one batched, indexed look-up
 * per page; changes that match no referral cost nothing more. Matching referrals are flagged for evaluation. Each
 * connection (tenant) has its own tokens and cycle; Quartz (clustered) runs a connection's cycle on one node at a time.
 */
public final class ServiceTitanPoller {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceTitanPoller.class);
    public static final List<String> FEEDS = List.of("bookings", "jobs", "invoices");

    private final DataSource ds;
    private final ServiceTitanClients clients;
    private final ReferralLifecycle lifecycle;
    private final io.referralbridge.ops.BridgeMetrics metrics;
    private final Queries sql = Queries.load("sql/qualification.sql");
    private final Map<String, Long> lastSuccess = new ConcurrentHashMap<>();

    private final int invoiceRetentionDays;
    private final java.time.Instant exportStart;
    private final PhoneIns phoneIns;
    private final io.referralbridge.referrer.ReferrerInServiceTitan referrer;
    private final io.referralbridge.enrolment.Enrolments enrolments;

    /**
     * {@code exportStart}: where a feed with no stored position starts (null: at the first referral's join time, or
     * now when there is none), so a first start on a tenant with years of history does not read all of it.
     */
    public ServiceTitanPoller(DataSource ds, ServiceTitanClients clients, ReferralLifecycle lifecycle,
                              io.referralbridge.ops.BridgeMetrics metrics, int invoiceRetentionDays,
                              java.time.Instant exportStart, PhoneIns phoneIns,
                              io.referralbridge.referrer.ReferrerInServiceTitan referrer,
                              io.referralbridge.enrolment.Enrolments enrolments) {
        this.referrer = referrer;
        this.enrolments = enrolments;
        this.exportStart = exportStart;
        this.phoneIns = phoneIns;
        this.invoiceRetentionDays = invoiceRetentionDays;
        this.ds = ds;
        this.clients = clients;
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        for (ServiceTitanClient c : clients.all()) {
            String name = c.connection().name();
            lastSuccess.put(name, System.currentTimeMillis());
            metrics.gauge("bridge.poll.lag.seconds", "connection", name,
                    () -> (System.currentTimeMillis() - lastSuccess.get(name)) / 1000.0);
        }
    }

    /** Pauses the scheduled poll of one connection, or of all when none is named; on every node, across restarts. */
    public Map<String, Object> pause(@Header(ServiceTitanClients.CONNECTION) String connection) {
        return setPaused(connection, true);
    }

    public Map<String, Object> resume(@Header(ServiceTitanClients.CONNECTION) String connection) {
        return setPaused(connection, false);
    }

    private Map<String, Object> setPaused(String connection, boolean paused) {
        List<String> names = names(connection);
        Tx.run(ds, tx -> {
            for (String name : names) {
                tx.update(sql.get("set-paused"), name, paused);
            }
            return null;
        });
        LOG.info("ServiceTitan polling {} by an operator: {}", paused ? "paused" : "resumed", names);
        return Map.of("paused", paused, "connections", names);
    }

    public boolean isPaused(String connection) {
        return Tx.run(ds, tx -> {
            Map<String, Object> row = tx.one(sql.get("paused"), connection);
            return row != null && Boolean.TRUE.equals(row.get("paused"));
        });
    }

    /**
     * One poll cycle over every feed of one connection (or of each in turn when none is named); returns requests made
     * and referrals matched. Scheduled cycles are skipped while paused; an operator's "poll now" runs anyway.
     */
    public Map<String, Object> poll(@org.apache.camel.ExchangeProperty("scheduled") Boolean scheduled,
                                    @Header(ServiceTitanClients.CONNECTION) String connection) throws Exception {
        Map<String, Object> total = new LinkedHashMap<>(Map.of("requests", 0, "rows", 0, "matched", 0));
        Map<String, Object> each = new LinkedHashMap<>();
        List<String> names = names(connection);
        List<String> failed = new ArrayList<>();
        for (String name : names) {
            Map<String, Object> stats;
            try {
                stats = pollOne(name, Boolean.TRUE.equals(scheduled));
            } catch (Exception e) {
                if (names.size() == 1) {
                    throw e;
                }
                // One tenant failing must not keep the others from being polled.
                failed.add("'" + name + "' (" + describe(e) + ")");
                continue;
            }
            each.put(name, stats);
            stats.forEach((k, v) -> total.merge(k, v, (a, b) -> a instanceof Integer x && b instanceof Integer y
                    ? (Object) (x + y) : b));
        }
        total.put("connections", each);
        if (!failed.isEmpty()) {
            total.put("failed", failed);
        }
        return total;
    }

    /**
     * The answer to an operator's poll of every connection, after the polled ones were evaluated: their figures, or a
     * 502 naming the connections that failed.
     */
    @SuppressWarnings("unchecked")
    public Map<String, Object> answer(Map<String, Object> stats) {
        List<String> failed = (List<String>) stats.get("failed");
        if (failed != null) {
            Map<String, Object> polled = (Map<String, Object>) stats.get("connections");
            throw new io.referralbridge.web.HttpProblem(502, "upstream_failed", "Poll failed for connection "
                    + String.join(", ", failed) + "; polled: " + (polled.isEmpty() ? "none"
                    : String.join(", ", polled.keySet())));
        }
        return stats;
    }

    private static String describe(Exception e) {
        return e instanceof org.apache.camel.http.base.HttpOperationFailedException h
                ? "ServiceTitan " + io.referralbridge.web.JsonResponses.upstreamAnswer(h) : e.getMessage();
    }

    private List<String> names(String connection) {
        if (connection != null && !connection.isBlank()) {
            if (!clients.names().contains(connection)) {
                throw io.referralbridge.web.HttpProblem.notFound("No ServiceTitan connection named '" + connection
                        + "'");
            }
            return List.of(connection);
        }
        return List.copyOf(clients.names());
    }

    /**
     * A feed read for the first time starts from a date, not from the tenant's beginning: the configured start, or an
     * hour before the first referral of the connection joined (nothing of a referral happens before it joins), or now.
     */
    private String firstStart(Tx tx, String connection, String feed) throws java.sql.SQLException {
        java.time.Instant start = exportStart;
        String why = "bridge.poll.export-start";
        if (start == null) {
            Object first = tx.one(sql.get("first-join"), connection).get("first_join");
            start = first == null ? java.time.Instant.now()
                    : java.time.Instant.parse((String) first).minus(java.time.Duration.ofHours(1));
            why = first == null ? "no referral yet" : "an hour before the first referral joined";
        }
        start = start.truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        LOG.info("ServiceTitan connection {}: export feed {} starts from {} ({}), not from the tenant's beginning",
                connection, feed, start, why);
        return start.toString();
    }

    private Map<String, Object> pollOne(String name, boolean scheduled) throws Exception {
        Map<String, Object> stats = new LinkedHashMap<>();
        if (scheduled && isPaused(name)) {
            metrics.count("bridge.poll.cycles.paused", "connection", name); // the operator sees the pause hold
            stats.put("paused", true);
            return stats;
        }
        ServiceTitanClient client = clients.get(name);
        int requests = 0;
        int matched = 0;
        int rows = 0;
        for (String feed : FEEDS) {
            boolean more = true;
            while (more) {
                String from = Tx.run(ds, tx -> {
                    Map<String, Object> row = tx.one(sql.get("cursor"), name, feed);
                    return row == null ? firstStart(tx, name, feed) : (String) row.get("continue_from");
                });
                JsonNode page = client.export(feed, from);
                requests++;
                rows += page.path("data").size();
                // Phone-ins: their customers' contacts are read before the page's transaction, not inside it.
                PhoneIns.Page phoneInJobs = feed.equals("jobs")
                        ? phoneIns.read(name, page.path("data"), client) : PhoneIns.Page.NONE;
                requests += phoneInJobs.requests();
                matched += Tx.run(ds, tx -> {
                    int n = apply(tx, name, feed, page.path("data")) + phoneIns.apply(tx, name, phoneInJobs);
                    String next = page.path("continueFrom").asText(null);
                    if (next != null && !next.isEmpty()) {
                        tx.update(sql.get("save-cursor"), name, feed, next);
                    }
                    return n;
                });
                more = page.path("hasMore").asBoolean(false);
            }
        }
        Tx.run(ds, tx -> tx.update(sql.get("prune-invoices"), name, invoiceRetentionDays));
        lastSuccess.put(name, System.currentTimeMillis());
        metrics.count("bridge.poll.cycles", "connection", name);
        stats.put("requests", requests);
        stats.put("rows", rows);
        stats.put("matched", matched);
        if (matched > 0) {
            LOG.info("Poll cycle of {}: {} request(s), {} change(s), {} referral update(s)", name, requests, rows,
                    matched);
        }
        return stats;
    }

    private int apply(Tx tx, String connection, String feed, JsonNode data) throws Exception {
        if (data.isEmpty()) {
            return 0;
        }
        return switch (feed) {
            case "bookings" -> applyBookings(tx, connection, data);
            case "jobs" -> applyJobs(tx, connection, data);
            default -> applyInvoices(tx, connection, data);
        };
    }

    /**
     * A booking carries its status and, once booked into a job, its jobId. A dismissed booking is left to the router
     * (not qualified); one reopened or converted after that goes on from booked.
     */
    private int applyBookings(Tx tx, String connection, JsonNode data) throws Exception {
        Map<Long, JsonNode> byId = new HashMap<>();
        for (JsonNode b : data) {
            byId.put(b.path("id").asLong(), b); // the latest row of a booking wins
        }
        int n = 0;
        for (Map<String, Object> r : tx.query(sql.get("by-bookings"), connection, longs(tx, byId.keySet()))) {
            long referralId = ((Number) r.get("id")).longValue();
            JsonNode b = byId.get(((Number) r.get("booking_id")).longValue());
            String status = b.path("status").asText(null);
            String state = (String) r.get("state");
            boolean changed = false;
            if (status != null && !status.equals(r.get("booking_status"))) {
                tx.update(sql.get("set-booking-status"), status, referralId);
                changed = true;
            }
            if (!"Dismissed".equals(status) && state.equals("not_qualified")
                    && Qualification.BOOKING_DISMISSED.equals(r.get("not_qualified_reason"))) {
                lifecycle.move(tx, referralId, Transition.BOOKING_REOPENED,
                        "ServiceTitan booking " + status + " again");
                tx.update(sql.get("clear-not-qualified"), referralId);
                state = "booked";
                changed = true;
            }
            if (b.hasNonNull("jobId") && !Long.valueOf(b.path("jobId").asLong()).equals(r.get("job_id"))) {
                long jobId = b.path("jobId").asLong();
                tx.update(sql.get("set-job"), jobId, null, referralId, jobId);
                linkJob(tx, connection, referralId, state, jobId);
                changed = true;
            }
            n += changed ? 1 : 0;
        }
        return n;
    }

    /**
     * A job links back to its booking (bookingId) and carries its status; a job that meets a campaign's enrolment rule
     * owes its customer's enrolment (once per customer and campaign).
     */
    private int applyJobs(Tx tx, String connection, JsonNode data) throws Exception {
        Map<Long, JsonNode> byBooking = new HashMap<>();
        Map<Long, JsonNode> byId = new HashMap<>();
        for (JsonNode j : data) {
            byId.put(j.path("id").asLong(), j);
            if (j.hasNonNull("bookingId")) {
                byBooking.put(j.path("bookingId").asLong(), j);
            }
        }
        int n = 0;
        for (Map<String, Object> r : tx.query(sql.get("by-jobs"), connection, longs(tx, byBooking.keySet()),
                connection, longs(tx, byId.keySet()))) {
            Long bookingId = (Long) r.get("booking_id");
            Long jobId = (Long) r.get("job_id");
            JsonNode job = bookingId != null && byBooking.containsKey(bookingId) ? byBooking.get(bookingId)
                    : byId.get(jobId);
            if (job == null) {
                continue;
            }
            long referralId = ((Number) r.get("id")).longValue();
            tx.update(sql.get("set-job"), job.path("id").asLong(), job.path("jobStatus").asText(null), referralId,
                    job.path("id").asLong());
            linkJob(tx, connection, referralId, (String) r.get("state"), job.path("id").asLong());
            n++;
        }
        enrolments.owe(tx, connection, data, null, null); // after the links: a referred customer's job is known
        return n;
    }

    /**
     * Invoices are kept by job as they come (the feeds are not consistent with each other: an invoice can come before
     * the job is linked to its referral); the referrals whose jobs they are get evaluated.
     */
    private int applyInvoices(Tx tx, String connection, JsonNode data) throws Exception {
        Map<Long, JsonNode> byId = new java.util.LinkedHashMap<>();
        for (JsonNode i : data) {
            if (i.path("job").hasNonNull("id")) {
                byId.put(i.path("id").asLong(), i); // the latest row of an invoice wins
            }
        }
        if (byId.isEmpty()) {
            return 0;
        }
        List<Object> ids = new ArrayList<>();
        List<Object> jobs = new ArrayList<>();
        List<Object> totals = new ArrayList<>();
        List<Object> balances = new ArrayList<>();
        List<Object> actives = new ArrayList<>();
        for (JsonNode inv : byId.values()) {
            ids.add(inv.path("id").asLong());
            jobs.add(inv.path("job").path("id").asLong());
            totals.add(money(inv, "total"));
            balances.add(money(inv, "balance"));
            actives.add(inv.path("active").asBoolean(true));
        }
        tx.update(sql.get("upsert-invoices"), connection, tx.array("bigint", ids.toArray()),
                tx.array("bigint", jobs.toArray()), tx.array("numeric", totals.toArray()),
                tx.array("numeric", balances.toArray()), tx.array("boolean", actives.toArray()));
        int n = 0;
        for (Map<String, Object> r : tx.query(sql.get("by-job-ids"), connection,
                tx.array("bigint", new java.util.HashSet<>(jobs).toArray()))) {
            tx.update(sql.get("flag"), ((Number) r.get("id")).longValue());
            n++;
        }
        return n;
    }

    /** A referral has its job: the move, and its referrer owed to ServiceTitan (if its campaign writes one). */
    private void linkJob(Tx tx, String connection, long referralId, String state, long jobId) throws Exception {
        if (state.equals("booked")) {
            lifecycle.move(tx, referralId, Transition.JOB_CREATED, "ServiceTitan job " + jobId);
        }
        referrer.owe(tx, connection, referralId);
    }

    /** ServiceTitan sends money as strings ("1250.00"): exact decimals, never floating point. */
    static BigDecimal money(JsonNode invoice, String field) {
        JsonNode v = invoice.path(field);
        if (v.isMissingNode() || v.isNull() || v.asText().isBlank()) {
            return BigDecimal.ZERO;
        }
        return new BigDecimal(v.asText().trim());
    }

    private static Array longs(Tx tx, java.util.Collection<Long> values) throws Exception {
        return tx.array("bigint", values.toArray());
    }
}
