package io.referralbridge.qualification;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.sql.DataSource;

import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.web.HttpProblem;
import org.apache.camel.Header;

/** Figures per campaign and referral lists for the report API. */
public final class Reports {

    private final DataSource ds;
    private final Queries sql = Queries.load("sql/reports.sql");

    public Reports(DataSource ds) {
        this.ds = ds;
    }

    /** GET /api/reports/summary?from=&to=&campaign= (dates as 2026-11-01 or instants; to is exclusive). */
    public Map<String, Object> summary(@Header("from") String from, @Header("to") String to,
                                       @Header("campaign") String campaign) {
        Instant start = from == null || from.isBlank() ? Instant.EPOCH : instant("from", from);
        Instant end = to == null || to.isBlank() ? Instant.now().plusSeconds(1) : instant("to", to);
        String c = campaign == null || campaign.isBlank() ? null : campaign;
        List<Map<String, Object>> rows = Tx.run(ds, tx -> tx.query(sql.get("summary"), Timestamp.from(start),
                Timestamp.from(end), c, c));
        List<Map<String, Object>> campaigns = new ArrayList<>();
        for (Map<String, Object> r : rows) {
            Map<String, Object> out = new LinkedHashMap<>(r);
            long joined = ((Number) r.get("joined")).longValue();
            long qualified = ((Number) r.get("qualified")).longValue();
            out.put("qualification_rate", joined == 0 ? BigDecimal.ZERO
                    : BigDecimal.valueOf(qualified).divide(BigDecimal.valueOf(joined), 4, RoundingMode.HALF_UP));
            campaigns.add(out);
        }
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("from", start.toString());
        answer.put("to", end.toString());
        answer.put("campaigns", campaigns);
        return answer;
    }

    /** GET /api/referrals?sort=joined|qualified&campaign=&limit= */
    public Map<String, Object> list(@Header("sort") String sort, @Header("campaign") String campaign,
                                    @Header("limit") String limit) {
        String order = sort == null || sort.isBlank() ? "joined" : sort;
        if (!order.equals("joined") && !order.equals("qualified")) {
            throw HttpProblem.badRequest("invalid_parameter", "sort must be joined or qualified");
        }
        int n;
        try {
            n = limit == null || limit.isBlank() ? 100 : Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            throw HttpProblem.badRequest("invalid_parameter", "limit must be a number");
        }
        int max = Math.max(1, Math.min(n, 1000));
        String c = campaign == null || campaign.isBlank() ? null : campaign;
        return Map.of("referrals", Tx.run(ds, tx -> tx.query(sql.get("list-by-" + order), c, c, max)));
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
