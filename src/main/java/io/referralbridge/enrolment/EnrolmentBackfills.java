package io.referralbridge.enrolment;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.campaign.Campaign;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.failure.DeadLetters;
import io.referralbridge.servicetitan.ServiceTitanClients;
import io.referralbridge.web.HttpAnswer;
import io.referralbridge.web.HttpProblem;
import org.apache.camel.Body;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's one-off enrolment of the customers whose jobs were completed in a date range (the customers the poll
 * never saw complete). It pages through ServiceTitan's jobs, one page per tick of the enrolment-backfill route, on one
 * node at a time (the backfill's row is locked while its page is read and applied); each page is applied with the number
 * of the next, so a crash or a stop repeats at most one page and the backfill goes on where it was. Its enrolments are
 * ordinary tasks of the connection's enrolment queue, so every call of it takes its slot in the connection's request
 * budget, shared with the bookings.
 */
public final class EnrolmentBackfills {

    private static final Logger LOG = LoggerFactory.getLogger(EnrolmentBackfills.class);

    private final DataSource ds;
    private final Campaigns campaigns;
    private final ServiceTitanClients serviceTitan;
    private final Enrolments enrolments;
    private final ObjectMapper json;
    private final ObjectMapper strictJson;
    private final int pageSize;
    private final Queries sql = Queries.load("sql/enrolment.sql");

    public EnrolmentBackfills(DataSource ds, Campaigns campaigns, ServiceTitanClients serviceTitan,
                              Enrolments enrolments, ObjectMapper json, ObjectMapper strictJson, int pageSize) {
        this.strictJson = strictJson;
        this.ds = ds;
        this.campaigns = campaigns;
        this.serviceTitan = serviceTitan;
        this.enrolments = enrolments;
        this.json = json;
        this.pageSize = pageSize;
    }

    /** A started backfill: 202 with its progress. */
    public record Started(@com.fasterxml.jackson.annotation.JsonValue Map<String, Object> backfill)
            implements HttpAnswer {
        @Override
        public int httpStatus() {
            return 202;
        }
    }

    /** POST {"campaign": "17", "from": "2026-01-01", "to": "2026-07-01"} (dates, or instants; to is exclusive). */
    public Started startFromApi(org.apache.camel.Exchange exchange, @Body byte[] body) {
        io.referralbridge.intake.WebhookVerifier.checkContentType(
                io.referralbridge.web.HttpRequests.header(exchange, "Content-Type"));
        JsonNode req;
        try {
            req = strictJson.readTree(body == null ? new byte[0] : body); // strict UTF-8, no duplicate keys
        } catch (Exception e) {
            throw HttpProblem.badRequest("invalid_json", "The body is not valid JSON (" + e.getClass().getSimpleName()
                    + "): send {\"campaign\": \"17\", \"from\": \"2026-01-01\", \"to\": \"2026-07-01\"}");
        }
        if (req == null || !req.isObject()) {
            throw HttpProblem.badRequest("invalid_json", "The body must be a JSON object: {\"campaign\": \"17\", "
                    + "\"from\": \"2026-01-01\", \"to\": \"2026-07-01\"}");
        }
        return new Started(start(text(req, "campaign"), text(req, "from"), text(req, "to")));
    }

    private static String text(JsonNode req, String field) {
        JsonNode v = req.get(field);
        if (v == null || v.isNull()) {
            throw HttpProblem.unprocessable("missing_" + field, "'" + field + "' is required");
        }
        if (!v.isTextual() && !v.isIntegralNumber()) {
            throw HttpProblem.unprocessable("invalid_" + field, "'" + field + "' must be a string");
        }
        return v.asText();
    }

    /** Starts a backfill (the admin API and the JMX operation): its progress, or a 4xx naming what is wrong. */
    public Map<String, Object> start(String campaignId, String fromText, String toText) {
        Campaign campaign = campaigns.find(campaignId).orElseThrow(() -> HttpProblem.unprocessable("unknown_campaign",
                "No campaign '" + campaignId + "' (bridge.campaigns)"));
        if (!campaign.enrolment().enabled()) {
            throw HttpProblem.unprocessable("campaign_does_not_enrol", "Campaign " + campaignId + " does not enrol "
                    + "customers: set bridge.campaign." + campaignId + ".enrol=true");
        }
        Instant from = instant("from", fromText);
        Instant to = instant("to", toText);
        if (!from.isBefore(to)) {
            throw HttpProblem.unprocessable("invalid_range", "'from' (" + from + ") must be before 'to' (" + to + ")");
        }
        long id = Tx.run(ds, tx -> {
            // One reading backfill per campaign: the unique index decides between concurrent starts (V19).
            Map<String, Object> row = tx.one(sql.get("start-backfill"), campaign.connection(), campaignId,
                    from.toString(), to.toString());
            if (row == null) {
                throw HttpProblem.conflict("A backfill of campaign " + campaignId + " is reading already");
            }
            return ((Number) row.get("id")).longValue();
        });
        LOG.info("Enrolment backfill {} started: campaign {}, jobs completed from {} to {}", id, campaignId, from, to);
        return progress(id);
    }

    private static final Instant FIRST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LAST = Instant.parse("9999-12-31T23:59:59Z");

    private static Instant instant(String field, String text) {
        Instant at;
        try {
            at = text.length() == 10 ? LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant()
                    : Instant.parse(text);
        } catch (RuntimeException e) {
            throw HttpProblem.unprocessable("invalid_" + field, "'" + field + "' must be a date (2026-01-01) or an "
                    + "instant (2026-01-01T00:00:00Z); got '" + DeadLetters.shorten(text.replaceAll("\\p{Cntrl}", "?"),
                    60) + "'");
        }
        if (at.isBefore(FIRST) || at.isAfter(LAST)) {
            throw HttpProblem.unprocessable("invalid_" + field, "'" + field + "' must be between years 1 and 9999; got '"
                    + text + "'");
        }
        return at;
    }

    /**
     * One tick: the next page of the oldest backfill still reading, applied (its enrolments owed) with the number of
     * the next page, in one transaction. A failure is kept on the backfill and the page is read again at the next tick.
     * Returns whether a page was read (the route goes on at once while there are more).
     */
    public boolean step() {
        Object[] failed = new Object[2];
        boolean read;
        try {
            read = readPage(failed);
        } catch (CanceledMeanwhile e) {
            LOG.info("Enrolment backfill {} canceled (or its page applied) while the page was read: not applied", e.id);
            return true;
        }
        if (failed[0] != null) {
            LOG.warn("Enrolment backfill {}: page not read, tried again at the next tick: {}", failed[0], failed[1]);
            Tx.run(ds, tx -> tx.update(sql.get("backfill-failed"), failed[1], failed[0]));
        }
        return read;
    }

    /** Canceled by an operator while its page was read (the cancel does not wait for the read), or read already. */
    private static final class CanceledMeanwhile extends RuntimeException {
        final long id;

        CanceledMeanwhile(long id) {
            super(null, null, false, false);
            this.id = id;
        }
    }

    private boolean readPage(Object[] failed) {
        return Tx.run(ds, tx -> {
            Map<String, Object> b = tx.one(sql.get("next-page"));
            if (b == null) {
                return false;
            }
            long id = ((Number) b.get("id")).longValue();
            Campaign campaign = campaigns.find((String) b.get("campaign_id")).orElse(null);
            String connection = (String) b.get("connection");
            if (campaign == null || !campaign.enrolment().enabled() || !serviceTitan.names().contains(connection)) {
                tx.update(sql.get("cancel-backfill"), id);
                LOG.warn("Enrolment backfill {} canceled: campaign {} no longer enrols", id, b.get("campaign_id"));
                return true;
            }
            int page = ((Number) b.get("next_page")).intValue();
            JsonNode answer;
            try {
                answer = serviceTitan.get(connection).completedJobs(Instant.parse((String) b.get("completed_from")),
                        Instant.parse((String) b.get("completed_to")), page, pageSize);
            } catch (Exception e) {
                failed[0] = id;
                failed[1] = DeadLetters.shorten(DeadLetters.describe(e), 500);
                return false;
            }
            JsonNode jobs = answer.path("data");
            enrolments.owe(tx, connection, jobs, campaign, id);
            boolean done = !answer.path("hasMore").asBoolean(false);
            Integer total = answer.hasNonNull("totalCount") ? answer.path("totalCount").asInt() : null;
            if (tx.update(sql.get("page-read"), total, jobs.size(), done, done, id, page) == 0) {
                throw new CanceledMeanwhile(id); // rolls back the page's enrolments
            }
            if (done) {
                LOG.info("Enrolment backfill {}: all {} page(s) read", id, page);
            }
            return true;
        });
    }

    /** Stops reading pages; the enrolments already owed go on. */
    public Map<String, Object> cancel(@Header("id") String idText) {
        long id = id(idText);
        Tx.run(ds, tx -> tx.update(sql.get("cancel-backfill"), id));
        return progress(id);
    }

    /** The backfills, newest first, with their progress. */
    public Map<String, Object> list() {
        return Map.of("backfills", rows(null));
    }

    public Map<String, Object> get(@Header("id") String idText) {
        return progress(id(idText));
    }

    private Map<String, Object> progress(long id) {
        List<Map<String, Object>> rows = rows(id);
        if (rows.isEmpty()) {
            throw HttpProblem.notFound("No enrolment backfill " + id);
        }
        return rows.get(0);
    }

    private static long id(String text) {
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw HttpProblem.notFound("No enrolment backfill '" + text + "'");
        }
    }

    /**
     * Progress: jobs read of the range's total; customers found (enrolments owed by this backfill), done (enrolled,
     * skipped or failed) of the expected total (while pages are still read: the found ones plus as many per job in the
     * rest), the rate over the last minute and the time left at that rate.
     */
    private List<Map<String, Object>> rows(Long id) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> r : Tx.run(ds, tx -> tx.query(sql.get("backfills"), id, id))) {
            long found = n(r, "found");
            long done = n(r, "enrolled") + n(r, "skipped") + n(r, "failed");
            long jobsRead = n(r, "jobs_read");
            Long jobsTotal = r.get("jobs_total") == null ? null : n(r, "jobs_total");
            String state = (String) r.get("state");
            long total = found;
            if (state.equals("reading") && jobsTotal != null && jobsRead > 0) {
                total = Math.round(found * (double) jobsTotal / jobsRead);
            }
            double age = ((Number) r.get("age_seconds")).doubleValue();
            double perMinute = age >= 60 ? n(r, "done_last_minute") : done * 60.0 / Math.max(age, 1);
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("id", r.get("id"));
            p.put("campaign", r.get("campaign_id"));
            p.put("connection", r.get("connection"));
            p.put("from", r.get("completed_from"));
            p.put("to", r.get("completed_to"));
            p.put("state", state.equals("enrolling") && n(r, "pending") == 0 ? "done" : state);
            p.put("startedAt", r.get("started_at"));
            p.put("jobs", Map.of("read", jobsRead, "total", jobsTotal == null ? "unknown" : jobsTotal));
            p.put("customers", Map.of("found", found, "enrolled", n(r, "enrolled"), "skipped", n(r, "skipped"),
                    "failed", n(r, "failed"), "pending", n(r, "pending")));
            p.put("done", done);
            p.put("total", total);
            p.put("estimated", state.equals("reading"));
            p.put("ratePerMinute", Math.round(perMinute * 10) / 10.0);
            // Unknown (null) while nothing finishes: at the start, or while the services fail.
            p.put("secondsLeft", total <= done ? Long.valueOf(0) : perMinute <= 0 ? null
                    : Long.valueOf(Math.round((total - done) * 60.0 / perMinute)));
            if (r.get("last_error") != null) {
                p.put("lastError", r.get("last_error"));
            }
            out.add(p);
        }
        return out;
    }

    private static long n(Map<String, Object> row, String key) {
        return ((Number) row.get(key)).longValue();
    }
}
