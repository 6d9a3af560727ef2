package io.referralbridge.qualification;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.referralbridge.web.HttpProblem;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;

/**
 * The report API's parameters and answers. The reads themselves are route steps (camel-sql, {@code sql/routes/}):
 * these methods check what the caller sent and shape what the database returned.
 */
public final class Reports {

    private final String referrerPaths;
    private final com.fasterxml.jackson.databind.ObjectMapper json;

    /**
     * {@code referrerEmails}: per platform, where its webhook puts the referrer's email (a JSON pointer). Passed to the
     * queries as one JSON object of paths, {"default": ["data", "referred_by", "email"], ...} (camel-sql would expand
     * a Java array into several parameters).
     */
    public Reports(Map<String, com.fasterxml.jackson.core.JsonPointer> referrerEmails,
                   com.fasterxml.jackson.databind.ObjectMapper json) {
        Map<String, List<String>> paths = new LinkedHashMap<>();
        referrerEmails.forEach((platform, pointer) -> {
            List<String> path = new java.util.ArrayList<>();
            for (com.fasterxml.jackson.core.JsonPointer p = pointer; p != null && !p.matches(); p = p.tail()) {
                path.add(p.getMatchingProperty());
            }
            paths.put(platform, path);
        });
        try {
            this.referrerPaths = json.writeValueAsString(paths);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        this.json = json;
    }

    /** GET /api/reports/dashboard and /api/exports/referrals.csv: the period and campaign, checked. */
    public Map<String, Object> dashboardQuery(Exchange exchange, @Header("from") String from, @Header("to") String to,
                                              @Header("campaign") String campaign) {
        Map<String, Object> q = summaryQuery(exchange, from, to, campaign);
        q.put("referrers", referrerPaths);
        return q;
    }

    /** The dashboard's answer: the period and the document the query built. */
    public Map<String, Object> dashboard(@Body List<Map<String, Object>> rows,
                                         @ExchangeProperty("reportFrom") String from,
                                         @ExchangeProperty("reportTo") String to) throws Exception {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("from", from);
        answer.put("to", to);
        com.fasterxml.jackson.databind.JsonNode d = json.readTree((String) rows.get(0).get("dashboard"));
        d.fields().forEachRemaining(e -> answer.put(e.getKey(), e.getValue()));
        return answer;
    }

    /** Exports built at once: each holds up to EXPORT_LIMIT rows in memory until it is written. */
    static final int EXPORTS_AT_ONCE = 2;
    private final java.util.concurrent.Semaphore exports = new java.util.concurrent.Semaphore(EXPORTS_AT_ONCE);

    /** A slot for one export, freed when the exchange completes whatever its outcome; 429 while both are taken. */
    public void exportSlot(Exchange exchange) {
        if (!exports.tryAcquire()) {
            throw new HttpProblem(429, "busy", EXPORTS_AT_ONCE + " exports are being built; retry in a few seconds");
        }
        exchange.getExchangeExtension().addOnCompletion(new org.apache.camel.support.SynchronizationAdapter() {
            @Override
            public void onDone(Exchange done) {
                exports.release();
            }
        });
    }

    /** The export as CSV (RFC 4180), for the contractor's spreadsheets. */
    public void csv(Exchange exchange, @Body List<Map<String, Object>> rows) {
        org.apache.camel.Message m = exchange.getMessage();
        m.removeHeaders("*");
        m.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        m.setHeader(Exchange.CONTENT_TYPE, "text/csv; charset=utf-8");
        m.setHeader("Content-Disposition", "attachment; filename=\"referrals.csv\"");
        if (rows.size() > EXPORT_LIMIT) {
            // Cut, and said so: export the rest by period (from=, to=).
            m.setHeader("X-Export-Truncated", "first " + EXPORT_LIMIT + " referrals; export the rest by period");
            rows = rows.subList(0, EXPORT_LIMIT);
        }
        m.setBody(io.referralbridge.web.Csv.write(EXPORT_COLUMNS, rows));
    }

    static final int EXPORT_LIMIT = 100_000;

    static final List<String> EXPORT_COLUMNS = List.of("code", "campaign_id", "state", "joined_at", "qualified_at",
            "notified_at", "milestone", "booking_id", "job_id", "revenue", "referrer_email", "not_qualified_reason");

    /** GET /api/referrals?sort=joined|qualified&campaign=&state=&limit=&offset=: the query's parameters, checked. */
    public Map<String, Object> listQuery(@Header("sort") String sort, @Header("campaign") String campaign,
                                         @Header("state") String state, @Header("limit") String limit,
                                         @Header("offset") String offset) {
        String order = sort == null || sort.isBlank() ? "joined" : sort;
        if (!order.equals("joined") && !order.equals("qualified")) {
            throw HttpProblem.badRequest("invalid_parameter", "sort must be joined or qualified");
        }
        int n = whole("limit", limit, 100, 1, 1000);
        int skip = whole("offset", offset, 0, 0, Integer.MAX_VALUE);
        Map<String, Object> q = new HashMap<>();
        q.put("sort", order);
        q.put("campaign", blankToNull(campaign));
        String s = blankToNull(state);
        if (s != null && java.util.Arrays.stream(io.referralbridge.lifecycle.ReferralState.values())
                .noneMatch(v -> v.id().equals(s))) {
            throw HttpProblem.badRequest("invalid_parameter", "state must be one of "
                    + java.util.Arrays.stream(io.referralbridge.lifecycle.ReferralState.values())
                            .map(io.referralbridge.lifecycle.ReferralState::id).toList());
        }
        q.put("state", s);
        q.put("limit", n);
        q.put("offset", skip);
        return q;
    }

    private static int whole(String name, String text, int absent, int min, int max) {
        if (text == null || text.isBlank()) {
            return absent;
        }
        try {
            int n = Integer.parseInt(text.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // said below
        }
        throw HttpProblem.badRequest("invalid_parameter", name + " must be a whole number from " + min + " to " + max);
    }

    /** GET /api/reports/summary?from=&to=&campaign= (dates as 2026-11-01 or instants; to is exclusive). */
    public Map<String, Object> summaryQuery(Exchange exchange, @Header("from") String from, @Header("to") String to,
                                            @Header("campaign") String campaign) {
        Instant start = from == null || from.isBlank() ? Instant.EPOCH : instant("from", from);
        Instant end = to == null || to.isBlank() ? Instant.now().plusSeconds(1) : instant("to", to);
        exchange.setProperty("reportFrom", start.toString());
        exchange.setProperty("reportTo", end.toString());
        Map<String, Object> q = new HashMap<>();
        q.put("from", Timestamp.from(start));
        q.put("to", Timestamp.from(end));
        q.put("campaign", blankToNull(campaign));
        return q;
    }

    /** The summary's answer: the period and one row per campaign. */
    public Map<String, Object> summary(@Body List<Map<String, Object>> campaigns,
                                       @ExchangeProperty("reportFrom") String from,
                                       @ExchangeProperty("reportTo") String to) {
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("from", from);
        answer.put("to", to);
        answer.put("campaigns", campaigns);
        return answer;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59Z");

    /** A date or instant within years 1 to 9999 (PostgreSQL's range is wider; nothing a report needs is outside). */
    private static Instant instant(String name, String value) {
        Instant i;
        try {
            i = value.length() == 10 ? LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC)
                    : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw HttpProblem.badRequest("invalid_parameter", name + " must be a date (2026-11-01) or an instant");
        }
        if (i.isBefore(EARLIEST) || i.isAfter(LATEST)) {
            throw HttpProblem.badRequest("invalid_parameter", name + " must be between years 1 and 9999");
        }
        return i;
    }
}
