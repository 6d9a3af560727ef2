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
    /** The reason of a referral that was a ServiceTitan customer already (campaign rule book-not-eligible or skip). */
    public static final String EXISTING_CUSTOMER = "existing customer";
    public static final String BOOKING_DISMISSED = "booking dismissed";

    private final DataSource ds;
    private final ReferralLifecycle lifecycle;
    private final Campaigns campaigns;
    private final int batchSize;
    private final Queries sql = Queries.load("sql/qualification.sql");
    private final io.referralbridge.outbox.Outbox outbox;
    private final Queries referralSql = Queries.load("sql/referrals.sql");

    private final io.referralbridge.ops.BridgeMetrics metrics;

    public Qualification(DataSource ds, ReferralLifecycle lifecycle, io.referralbridge.outbox.Outbox outbox,
                         Campaigns campaigns, int batchSize, io.referralbridge.ops.BridgeMetrics metrics) {
        this.outbox = outbox;
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
                ((Number) r.get("facts_version")).longValue(), (String) r.get("milestone"),
                (Double) r.get("seconds_since_told"), ((Number) r.get("credit_count")).intValue())).toList());
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
                qualify(tx, p.id(), Transition.MILESTONE_REACHED, milestone, "milestone " + milestone + " reached",
                        p.rule().holdSeconds());
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

    /** Told, then the job was canceled or refunded within the claw-back window: unqualified, the platform told so. */
    public void clawBack(ReferralProgress p) {
        Tx.run(ds, tx -> {
            String reason = p.undone();
            // Moved, or not (another node changed the referral since it was read): then it stays flagged, for the next
            // cycle to read afresh.
            if (lifecycle.move(tx, p.id(), Transition.CLAWED_BACK, reason + " within the claw-back window")) {
                tx.update(sql.get("set-not-qualified"), reason, p.id());
                outbox.armNotice(tx, p.id(), 0);
                metrics.count("bridge.clawbacks");
                tx.update(sql.get("evaluated"), p.id(), p.factsVersion());
            }
            return null;
        });
    }

    /** Canceled or refunded while the notice waited out the hold: not qualified, and the platform never told. */
    public void holdBroken(ReferralProgress p) {
        Tx.run(ds, tx -> {
            String reason = p.undone() + " during the hold";
            if (lifecycle.move(tx, p.id(), Transition.HOLD_BROKEN, reason)) {
                tx.update(sql.get("set-not-qualified"), reason, p.id());
                // Due now: the notice finds nothing to tell (or, if it may have told, tells qualified:false).
                outbox.armNotice(tx, p.id(), 0);
                tx.update(sql.get("evaluated"), p.id(), p.factsVersion());
            }
            return null;
        });
    }

    public void unchanged(ReferralProgress p) {
        Tx.run(ds, tx -> tx.update(sql.get("evaluated"), p.id(), p.factsVersion()));
    }

    /** Qualified, and the platform's notice armed: due once the campaign's hold has passed. */
    private boolean qualify(Tx tx, long referralId, Transition t, String milestone, String cause, long holdSeconds)
            throws Exception {
        if (!lifecycle.move(tx, referralId, t, holdSeconds > 0 ? cause + "; the platform is told after a hold of "
                + java.time.Duration.ofSeconds(holdSeconds) : cause)) {
            return false;
        }
        tx.update(sql.get("set-qualified"), milestone, referralId);
        outbox.armNotice(tx, referralId, holdSeconds);
        metrics.count("bridge.qualifications", "milestone", milestone.startsWith("job_status") ? "job_status"
                : milestone);
        return true;
    }

    // ---- operator actions (admin API) ----

    /** Qualifies whatever the campaign's option, e.g. for "none" campaigns. */
    public Map<String, Object> manual(@Header("code") String code) {
        return Tx.run(ds, tx -> {
            long id = idOf(tx, code);
            if (!qualify(tx, id, Transition.QUALIFIED_MANUALLY, "manual", "qualified manually by an operator",
                    holdOf(tx, id))) {
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
            if (!qualify(tx, id, Transition.APPROVED, milestone, "approved by an operator", holdOf(tx, id))) {
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
                + " joined_at, qualified_at, notified_at, not_qualified_reason, customer_id, platform_told"
                + " FROM referral WHERE code = ?", code);
        if (r == null) {
            throw HttpProblem.notFound("No referral with code '" + code + "'");
        }
        Map<String, Object> out = new LinkedHashMap<>(r);
        out.put("history", tx.query(referralSql.get("history"), r.get("id")));
        return out;
    }

    /** The hold of the referral's campaign. */
    private long holdOf(Tx tx, long referralId) throws Exception {
        Map<String, Object> r = tx.one("SELECT campaign_id FROM referral WHERE id = ?", referralId);
        return campaigns.find((String) r.get("campaign_id")).map(c -> c.qualification().holdSeconds()).orElse(0L);
    }

    private long idOf(Tx tx, String code) throws Exception {
        Map<String, Object> r = tx.one(referralSql.get("find-by-code"), code);
        if (r == null) {
            throw HttpProblem.notFound("No referral with code '" + code + "'");
        }
        return ((Number) r.get("id")).longValue();
    }
}
