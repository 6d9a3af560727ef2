package io.referralbridge.qualification;

import java.math.BigDecimal;
import java.sql.Array;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.intake.ReferralStore;
import io.referralbridge.servicetitan.ServiceTitanClient;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows ServiceTitan's export feeds (bookings, jobs, invoices) from their stored continuation tokens. Each page is
 * applied in one transaction together with the token that follows it, so a crash repeats at most one page and skips
 * nothing; rows are applied idempotently because the feeds repeat rows. A change costs one batched, indexed look-up
 * per page; changes that match no referral cost nothing more. Matching referrals are flagged for evaluation.
 */
public final class ServiceTitanPoller {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceTitanPoller.class);
    public static final List<String> FEEDS = List.of("bookings", "jobs", "invoices");

    private final DataSource ds;
    private final ServiceTitanClient client;
    private final ReferralStore referrals;
    private final Queries sql = Queries.load("sql/qualification.sql");
    private volatile boolean paused;

    private volatile long lastSuccess = System.currentTimeMillis();

    public ServiceTitanPoller(DataSource ds, ServiceTitanClient client, ReferralStore referrals,
                              io.referralbridge.ops.BridgeMetrics metrics) {
        this.ds = ds;
        this.client = client;
        this.referrals = referrals;
        metrics.gauge("bridge.poll.lag.seconds", "tenant", client.connection().tenantId(),
                () -> (System.currentTimeMillis() - lastSuccess) / 1000.0);
    }

    public Map<String, Object> pause() {
        paused = true;
        LOG.info("ServiceTitan polling paused by an operator");
        return Map.of("paused", true);
    }

    public Map<String, Object> resume() {
        paused = false;
        LOG.info("ServiceTitan polling resumed by an operator");
        return Map.of("paused", false);
    }

    public boolean isPaused() {
        return paused;
    }

    /**
     * One poll cycle over every feed; returns requests made and referrals matched. Scheduled cycles are skipped while
     * paused; an operator's "poll now" runs anyway. Synchronized: the two never overlap.
     */
    public synchronized Map<String, Object> poll(@Header("scheduled") Boolean scheduled) throws Exception {
        Map<String, Object> stats = new HashMap<>();
        if (paused && Boolean.TRUE.equals(scheduled)) {
            stats.put("paused", true);
            return stats;
        }
        int requests = 0;
        int matched = 0;
        int rows = 0;
        for (String feed : FEEDS) {
            boolean more = true;
            while (more) {
                String from = Tx.run(ds, tx -> {
                    Map<String, Object> row = tx.one(sql.get("cursor"), feed);
                    return row == null ? null : (String) row.get("continue_from");
                });
                JsonNode page = client.export(feed, from);
                requests++;
                rows += page.path("data").size();
                matched += Tx.run(ds, tx -> {
                    int n = apply(tx, feed, page.path("data"));
                    String next = page.path("continueFrom").asText(null);
                    if (next != null && !next.isEmpty()) {
                        tx.update(sql.get("save-cursor"), feed, next);
                    }
                    return n;
                });
                more = page.path("hasMore").asBoolean(false);
            }
        }
        lastSuccess = System.currentTimeMillis();
        stats.put("requests", requests);
        stats.put("rows", rows);
        stats.put("matched", matched);
        if (matched > 0) {
            LOG.info("Poll cycle: {} request(s), {} change(s), {} referral update(s)", requests, rows, matched);
        }
        return stats;
    }

    private int apply(Tx tx, String feed, JsonNode data) throws Exception {
        if (data.isEmpty()) {
            return 0;
        }
        return switch (feed) {
            case "bookings" -> applyBookings(tx, data);
            case "jobs" -> applyJobs(tx, data);
            default -> applyInvoices(tx, data);
        };
    }

    /** A booking booked into a job carries jobId. */
    private int applyBookings(Tx tx, JsonNode data) throws Exception {
        Map<Long, Long> jobByBooking = new HashMap<>();
        for (JsonNode b : data) {
            if (b.hasNonNull("jobId")) {
                jobByBooking.put(b.path("id").asLong(), b.path("jobId").asLong());
            }
        }
        if (jobByBooking.isEmpty()) {
            return 0;
        }
        int n = 0;
        for (Map<String, Object> r : tx.query(sql.get("by-bookings"), longs(tx, jobByBooking.keySet()))) {
            long referralId = ((Number) r.get("id")).longValue();
            long jobId = jobByBooking.get(((Number) r.get("booking_id")).longValue());
            tx.update(sql.get("set-job"), jobId, null, referralId);
            linkJob(tx, referralId, (String) r.get("state"), jobId);
            n++;
        }
        return n;
    }

    /** A job links back to its booking (bookingId) and carries its status. */
    private int applyJobs(Tx tx, JsonNode data) throws Exception {
        Map<Long, JsonNode> byBooking = new HashMap<>();
        Map<Long, JsonNode> byId = new HashMap<>();
        for (JsonNode j : data) {
            byId.put(j.path("id").asLong(), j);
            if (j.hasNonNull("bookingId")) {
                byBooking.put(j.path("bookingId").asLong(), j);
            }
        }
        int n = 0;
        for (Map<String, Object> r : tx.query(sql.get("by-jobs"), longs(tx, byBooking.keySet()),
                longs(tx, byId.keySet()))) {
            Long bookingId = (Long) r.get("booking_id");
            Long jobId = (Long) r.get("job_id");
            JsonNode job = bookingId != null && byBooking.containsKey(bookingId) ? byBooking.get(bookingId)
                    : byId.get(jobId);
            if (job == null) {
                continue;
            }
            long referralId = ((Number) r.get("id")).longValue();
            tx.update(sql.get("set-job"), job.path("id").asLong(), job.path("jobStatus").asText(null), referralId);
            linkJob(tx, referralId, (String) r.get("state"), job.path("id").asLong());
            n++;
        }
        return n;
    }

    private int applyInvoices(Tx tx, JsonNode data) throws Exception {
        Map<Long, List<JsonNode>> byJob = new HashMap<>();
        for (JsonNode i : data) {
            if (i.path("job").hasNonNull("id")) {
                byJob.computeIfAbsent(i.path("job").path("id").asLong(), k -> new ArrayList<>()).add(i);
            }
        }
        if (byJob.isEmpty()) {
            return 0;
        }
        int n = 0;
        for (Map<String, Object> r : tx.query(sql.get("by-job-ids"), longs(tx, byJob.keySet()))) {
            long referralId = ((Number) r.get("id")).longValue();
            for (JsonNode inv : byJob.get(((Number) r.get("job_id")).longValue())) {
                tx.update(sql.get("upsert-invoice"), inv.path("id").asLong(), referralId, money(inv, "total"),
                        money(inv, "balance"), inv.path("active").asBoolean(true));
            }
            tx.update(sql.get("flag"), referralId);
            n++;
        }
        return n;
    }

    private void linkJob(Tx tx, long referralId, String state, long jobId) throws Exception {
        if (state.equals("booked")) {
            referrals.transition(tx, referralId, Set.of("booked"), "job_created", null, "ServiceTitan job " + jobId);
        }
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
