package io.referralbridge.qualification;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import io.referralbridge.campaign.Campaign;
import io.referralbridge.campaign.Campaigns;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.lifecycle.ReferralLifecycle;
import io.referralbridge.lifecycle.Transition;
import io.referralbridge.web.HttpProblem;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outcomes the qualification router chooses between, each one transaction: qualify (or hold for review), not
 * qualified, or nothing yet. Qualifying writes the platform notification to the outbox in the same transaction, and
 * the outbox holds one notification per referral: the referrer is rewarded once, whatever repeats.
 */
public final class Qualification {

    private static final Logger LOG = LoggerFactory.getLogger(Qualification.class);
    public static final String REJECTED = "rejected by an operator";
    public static final String BOOKING_DISMISSED = "booking dismissed";

    private final DataSource ds;
    private final ReferralLifecycle lifecycle;
    private final Campaigns campaigns;
    private final int batchSize;
    private final Queries sql = Queries.load("sql/qualification.sql");
    private final Queries outbox = Queries.load("sql/outbox.sql");
    private final Queries referralSql = Queries.load("sql/referrals.sql");

    private final io.referralbridge.ops.BridgeMetrics metrics;

    public Qualification(DataSource ds, ReferralLifecycle lifecycle, Campaigns campaigns, int batchSize,
                         io.referralbridge.ops.BridgeMetrics metrics) {
        this.metrics = metrics;
        this.ds = ds;
        this.lifecycle = lifecycle;
        this.campaigns = campaigns;
        this.batchSize = batchSize;
    }

    /** Referrals of a connection (null: of all) whose ServiceTitan facts changed since they were last evaluated. */
    public List<ReferralProgress> toEvaluate(@org.apache.camel.Header("connection") String connection) {
        Object[] names = connection != null ? new Object[] {connection}
                : campaigns.all().stream().map(Campaign::connection).distinct().toArray();
        return Tx.run(ds, tx -> tx.query(sql.get("to-evaluate"), tx.array("text", names), batchSize).stream().map(r -> new ReferralProgress(
                ((Number) r.get("id")).longValue(), (String) r.get("code"), (String) r.get("campaign_id"),
                (String) r.get("state"), (Long) r.get("job_id"), (String) r.get("job_status"),
                (String) r.get("booking_status"), (String) r.get("not_qualified_reason"), (BigDecimal) r.get("invoice_total"), (BigDecimal) r.get("invoice_balance"),
                ((Number) r.get("invoice_count")).intValue(),
                campaigns.find((String) r.get("campaign_id")).map(Campaign::qualification)
                        .orElse(Campaign.Qualification.manualOnly()),
                ((Number) r.get("facts_version")).longValue())).toList());
    }

    /** The milestone is reached: qualified (platform told through the outbox), or pending review. */
    public void qualify(ReferralProgress p, String milestone) {
        Tx.run(ds, tx -> {
            if (p.rule().review()) {
                if (lifecycle.move(tx, p.id(), Transition.MILESTONE_FOR_REVIEW,
                        "milestone " + milestone + " reached; waiting for review")) {
                    tx.update(sql.get("set-qualified"), milestone, p.id());
                }
            } else {
                qualify(tx, p.id(), Transition.MILESTONE_REACHED, milestone, "milestone " + milestone + " reached");
            }
            tx.update(sql.get("evaluated"), p.id(), p.factsVersion());
            return null;
        });
    }

    public void notQualified(ReferralProgress p, String reason) {
        Tx.run(ds, tx -> {
            if (lifecycle.move(tx, p.id(), Transition.NOT_QUALIFIED, reason)) {
                tx.update(sql.get("set-not-qualified"), reason, p.id());
            }
            tx.update(sql.get("evaluated"), p.id(), p.factsVersion());
            return null;
        });
    }

    public void unchanged(ReferralProgress p) {
        Tx.run(ds, tx -> tx.update(sql.get("evaluated"), p.id(), p.factsVersion()));
    }

    private boolean qualify(Tx tx, long referralId, Transition t, String milestone, String cause) throws Exception {
        if (!lifecycle.move(tx, referralId, t, cause)) {
            return false;
        }
        tx.update(sql.get("set-qualified"), milestone, referralId);
        tx.update(outbox.get("enqueue"), io.referralbridge.outbox.TaskKind.NOTIFY_PLATFORM.id(), referralId);
        metrics.count("bridge.qualifications", "milestone", milestone.startsWith("job_status") ? "job_status"
                : milestone);
        return true;
    }

    // ---- operator actions (admin API) ----

    /** Qualifies whatever the campaign's option, e.g. for "none" campaigns. */
    public Map<String, Object> manual(@Header("code") String code) {
        return Tx.run(ds, tx -> {
            long id = idOf(tx, code);
            if (!qualify(tx, id, Transition.QUALIFIED_MANUALLY, "manual", "qualified manually by an operator")) {
                throw HttpProblem.conflict("Referral " + code + " is already qualified");
            }
            return view(tx, code);
        });
    }

    public Map<String, Object> approve(@Header("code") String code) {
        return Tx.run(ds, tx -> {
            long id = idOf(tx, code);
            Map<String, Object> row = tx.one(sql.get("for-notice"), id);
            String milestone = row.get("milestone") == null ? "manual" : (String) row.get("milestone");
            if (!qualify(tx, id, Transition.APPROVED, milestone, "approved by an operator")) {
                throw HttpProblem.conflict("Referral " + code + " is not waiting for review");
            }
            return view(tx, code);
        });
    }

    public Map<String, Object> reject(@Header("code") String code) {
        return Tx.run(ds, tx -> {
            long id = idOf(tx, code);
            if (!lifecycle.move(tx, id, Transition.REJECTED, REJECTED)) {
                throw HttpProblem.conflict("Referral " + code + " is not waiting for review");
            }
            tx.update(sql.get("set-not-qualified"), REJECTED, id);
            return view(tx, code);
        });
    }

    /** A referral with its history, for GET /api/referrals/{code}. */
    public Map<String, Object> view(@Header("code") String code) {
        return Tx.run(ds, tx -> view(tx, code));
    }

    private Map<String, Object> view(Tx tx, String code) throws Exception {
        Map<String, Object> r = tx.one("SELECT id, code, campaign_id, state, booking_id, job_id, job_status, milestone,"
                + " joined_at, qualified_at, notified_at, not_qualified_reason FROM referral WHERE code = ?", code);
        if (r == null) {
            throw HttpProblem.notFound("No referral with code '" + code + "'");
        }
        Map<String, Object> out = new LinkedHashMap<>(r);
        out.put("history", tx.query(referralSql.get("history"), r.get("id")));
        return out;
    }

    private long idOf(Tx tx, String code) throws Exception {
        Map<String, Object> r = tx.one(referralSql.get("find-by-code"), code);
        if (r == null) {
            throw HttpProblem.notFound("No referral with code '" + code + "'");
        }
        return ((Number) r.get("id")).longValue();
    }
}
