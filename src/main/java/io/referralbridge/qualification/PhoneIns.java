package io.referralbridge.qualification;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.JsonNode;
import io.referralbridge.campaign.Campaign;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.lifecycle.ReferralLifecycle;
import io.referralbridge.lifecycle.Transition;
import io.referralbridge.servicetitan.ServiceTitanClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Referred people who phone the office instead of waiting for the booking: the office books a job directly, with no
 * booking. A job of the jobs feed with no booking is linked to an open referral of a campaign that matches phone-ins
 * ({@code match-by}): by the referral code an agent typed into the job's custom field, or by the email or phone of
 * the job's customer, within the campaign's {@code match-window-days} after joining. A job that fits several referrals
 * is linked to none and put up for review. The customer's contacts are read outside the page's transaction, once per
 * new booking-less job; the referrals are found by index.
 */
public final class PhoneIns {

    private static final Logger LOG = LoggerFactory.getLogger(PhoneIns.class);
    // Booked and waiting for its job, or its booking a dead letter (the phone-in rescues it). Not before the booking
    // is made: that happens within seconds, and a job linked meanwhile would not stop the booking.
    private static final Set<String> OPEN = Set.of("booked", "failed");

    private final DataSource ds;
    private final Campaigns campaigns;
    private final ReferralLifecycle lifecycle;
    private final String codeField;
    private final io.referralbridge.referrer.ReferrerInServiceTitan referrer;
    private final Queries sql = Queries.load("sql/qualification.sql");

    public PhoneIns(DataSource ds, Campaigns campaigns, ReferralLifecycle lifecycle, String codeField,
                    io.referralbridge.referrer.ReferrerInServiceTitan referrer) {
        this.referrer = referrer;
        this.ds = ds;
        this.campaigns = campaigns;
        this.lifecycle = lifecycle;
        this.codeField = codeField;
    }

    /** A booking-less job (created at {@code createdEpoch}, in seconds) and what identifies its customer. */
    public record Job(long id, String status, double createdEpoch, String code, Set<String> emails,
                      Set<String> phones) {
    }

    /** A page's booking-less jobs to match, and the ServiceTitan requests it took to read their customers. */
    public record Page(List<Job> jobs, int requests) {
        static final Page NONE = new Page(List.of(), 0);
    }

    private List<Campaign> matching(String connection) {
        return campaigns.all().stream().filter(c -> c.connection().equals(connection) && c.matchesPhoneIns())
                .toList();
    }

    /** Outside any transaction: the page's booking-less jobs not yet linked, with their customer's contacts. */
    public Page read(String connection, JsonNode jobs, ServiceTitanClient client) throws Exception {
        List<Campaign> matching = matching(connection);
        if (matching.isEmpty()) {
            return Page.NONE;
        }
        Map<Long, JsonNode> bookingLess = new LinkedHashMap<>();
        for (JsonNode j : jobs) {
            if (!j.hasNonNull("bookingId") && j.path("id").asLong(0) > 0) {
                bookingLess.put(j.path("id").asLong(), j); // the latest row of a job wins
            }
        }
        if (bookingLess.isEmpty()) {
            return Page.NONE;
        }
        Set<Long> known = new HashSet<>();
        boolean anyOpen = Tx.run(ds, tx -> {
            Object[] ids = bookingLess.keySet().toArray();
            for (Map<String, Object> r : tx.query(sql.get("jobs-already-known"), connection,
                    tx.array("bigint", ids))) {
                known.add(((Number) r.get("job_id")).longValue());
            }
            return tx.one(sql.get("any-open-to-match"), connection, tx.array("text",
                    matching.stream().map(Campaign::id).toArray())) != null;
        });
        if (!anyOpen) {
            return Page.NONE; // nothing to match: no request at all
        }
        boolean byContact = matching.stream().anyMatch(c -> c.matchBy().contains("email")
                || c.matchBy().contains("phone"));
        boolean byCode = matching.stream().anyMatch(c -> c.matchBy().contains("code-field"));
        Map<Long, JsonNode> contactsOf = new HashMap<>();
        Map<Long, JsonNode> customerOf = new HashMap<>();
        int requests = 0;
        List<Job> out = new ArrayList<>();
        for (JsonNode j : bookingLess.values()) {
            long id = j.path("id").asLong();
            if (known.contains(id)) {
                continue;
            }
            Set<String> emails = new HashSet<>();
            Set<String> phones = new HashSet<>();
            long customer = j.path("customerId").asLong(0);
            if (byContact && customer > 0) {
                JsonNode contacts = contactsOf.get(customer);
                if (contacts == null) {
                    contacts = read(() -> client.customerContacts(customer), customer, id);
                    contactsOf.put(customer, contacts);
                    requests++;
                }
                // As ServiceTitan has them: the database normalises both sides of the match with one function.
                for (JsonNode c : contacts) {
                    String type = c.path("type").asText();
                    String value = c.path("value").asText("");
                    if (type.equals("Email") && !value.isBlank()) {
                        emails.add(value);
                    } else if ((type.equals("Phone") || type.equals("MobilePhone")) && !value.isBlank()) {
                        phones.add(value);
                    }
                }
            }
            String code = codeOf(j.path("customFields"));
            if (code == null && byCode && customer > 0) {
                // Not on the job: the agent may have typed it on the customer (the same field name).
                JsonNode record = customerOf.get(customer);
                if (record == null) {
                    record = read(() -> client.customer(customer), customer, id);
                    customerOf.put(customer, record);
                    requests++;
                }
                code = codeOf(record.path("customFields"));
            }
            out.add(new Job(id, j.path("jobStatus").asText(null), createdEpoch(j), code, emails, phones));
        }
        return new Page(out, requests);
    }

    private interface Read {
        JsonNode get() throws Exception;
    }

    /**
     * The customer's contacts or record; empty when ServiceTitan no longer has the customer (merged or deleted: 404, or
     * 403), so one such job does not stop the feed. Other failures fail the cycle, which is tried again.
     */
    private static JsonNode read(Read read, long customer, long job) throws Exception {
        try {
            return read.get();
        } catch (org.apache.camel.http.base.HttpOperationFailedException e) {
            if (e.getStatusCode() != 404 && e.getStatusCode() != 403) {
                throw e;
            }
            LOG.warn("ServiceTitan job {}: its customer {} cannot be read ({}); matched by the job's code only", job,
                    customer, e.getStatusCode());
            return com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        }
    }

    private static double createdEpoch(JsonNode job) {
        try {
            return java.time.Instant.parse(job.path("createdOn").asText()).toEpochMilli() / 1000.0;
        } catch (RuntimeException e) {
            return System.currentTimeMillis() / 1000.0; // no date: taken as new
        }
    }

    /** The code typed into the custom field named {@code bridge.match.code-field}, in a job's or customer's fields. */
    private String codeOf(JsonNode customFields) {
        for (JsonNode f : customFields) {
            if (codeField.equalsIgnoreCase(f.path("name").asText()) && !f.path("value").asText("").isBlank()) {
                return f.path("value").asText().trim();
            }
        }
        return null;
    }

    /** In the page's transaction: each job linked to its one referral, or put up for review. Returns links made. */
    public int apply(Tx tx, String connection, Page page) throws SQLException {
        if (page.jobs().isEmpty()) {
            return 0;
        }
        tx.query(sql.get("lock-phone-ins"), connection); // a job is matched by one transaction at a time
        Map<String, String[]> norms = normalise(tx, page);
        int linked = 0;
        for (Job job : page.jobs()) {
            if (tx.one(sql.get("job-linked"), connection, job.id()) != null) {
                continue;
            }
            // The code an agent typed names the referral: it decides alone.
            Map<Long, String> found = new LinkedHashMap<>();
            if (job.code() != null) {
                collect(tx.query(sql.get("open-by-code"), connection, job.code()), "code-field", job, found);
            }
            if (found.isEmpty() && !job.emails().isEmpty()) {
                collect(tx.query(sql.get("open-by-email"), connection, tx.array("text", normalised(job.emails(),
                        norms, 0))),
                        "email", job, found);
            }
            if (found.size() != 1 && !job.phones().isEmpty() && !found.containsValue("code-field")) {
                collect(tx.query(sql.get("open-by-phone"), connection, tx.array("text", normalised(job.phones(),
                        norms, 1))),
                        "phone", job, found);
            }
            if (found.isEmpty()) {
                continue;
            }
            if (found.size() > 1) {
                List<String> candidates = new ArrayList<>();
                for (Long id : found.keySet()) {
                    Map<String, Object> r = tx.one("SELECT code FROM referral WHERE id = ?", id);
                    candidates.add(r.get("code") + " (" + found.get(id) + ")");
                }
                tx.update(sql.get("review-match"), connection, job.id(), String.join(", ", candidates),
                        String.join(",", new java.util.LinkedHashSet<>(found.values())));
                LOG.warn("ServiceTitan job {} fits {} open referrals ({}): linked to none, up for review", job.id(),
                        found.size(), String.join(", ", candidates));
                continue;
            }
            long referralId = found.keySet().iterator().next();
            String how = found.get(referralId);
            if (lifecycle.move(tx, referralId, Transition.JOB_MATCHED, "matched by " + how + ": ServiceTitan job "
                    + job.id() + " (a phone-in, no booking)")) {
                tx.update(sql.get("set-matched-by"), how, referralId);
                tx.update(sql.get("set-job"), job.id(), job.status(), referralId, job.id());
                tx.update(sql.get("reviewed"), connection, job.id());
                referrer.owe(tx, connection, referralId);
                linked++;
            }
        }
        return linked;
    }

    /**
     * The page's emails and phones normalised by the database's own functions (the referrals' columns use the same), in
     * one statement. The look-ups then carry the values themselves, not a subquery: the planner sees each value against
     * its statistics, so a phone many referrals share (a form's placeholder) does not turn every look-up into a scan.
     */
    private Map<String, String[]> normalise(Tx tx, Page page) throws SQLException {
        Set<String> values = new HashSet<>();
        for (Job job : page.jobs()) {
            values.addAll(job.emails());
            values.addAll(job.phones());
        }
        Map<String, String[]> out = new HashMap<>();
        if (!values.isEmpty()) {
            for (Map<String, Object> r : tx.query(sql.get("normalise"), tx.array("text", values.toArray()))) {
                out.put((String) r.get("v"), new String[] {(String) r.get("e"), (String) r.get("p")});
            }
        }
        return out;
    }

    private static Object[] normalised(Set<String> values, Map<String, String[]> norms, int which) {
        return values.stream().map(v -> norms.getOrDefault(v, new String[2])[which])
                .filter(java.util.Objects::nonNull).distinct().toArray();
    }

    /**
     * The open referrals a look-up found, of campaigns that match this way, whose window holds the job: created after
     * the person joined (an hour's leeway for the two clocks) and within the campaign's match-window-days.
     */
    private void collect(List<Map<String, Object>> rows, String how, Job job, Map<Long, String> found) {
        for (Map<String, Object> r : rows) {
            Campaign c = campaigns.find((String) r.get("campaign_id")).orElse(null);
            double joined = ((Number) r.get("joined_epoch")).doubleValue();
            if (c == null || !c.matchBy().contains(how) || !OPEN.contains((String) r.get("state"))
                    || job.createdEpoch() < joined - 3600 || job.createdEpoch() > joined + c.matchWindowSeconds()) {
                continue;
            }
            found.putIfAbsent(((Number) r.get("id")).longValue(), how);
        }
    }
}
