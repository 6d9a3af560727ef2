package io.referralbridge.platform;

import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.failure.DeadLetters;
import io.referralbridge.lifecycle.ReferralLifecycle;
import io.referralbridge.lifecycle.Transition;
import io.referralbridge.qualification.Qualification;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/**
 * The steps of the notify-platform route around the call. A notice tells the platform the referral's current truth:
 * qualified (after the campaign's hold), or qualified:false (claw-back, or a customer already); nothing when the
 * platform already has it. What it was told is kept, so a change made while a notice was on its way is followed by
 * another notice, and none is sent twice for one change.
 */
public final class PlatformNotices {

    private final DataSource ds;
    private final ReferralLifecycle lifecycle;
    private final Outbox outbox;
    private final boolean takesNotQualified;
    private final io.referralbridge.campaign.Campaigns campaigns;
    private final ReferralPlatforms platforms;
    private final Queries sql = Queries.load("sql/qualification.sql");

    /** {@code takesNotQualified}: the platform can be told qualified:false (its API can; an inbound webhook cannot). */
    public PlatformNotices(DataSource ds, ReferralLifecycle lifecycle, Outbox outbox, boolean anyTakesNotQualified,
                           io.referralbridge.campaign.Campaigns campaigns,
                           ReferralPlatforms platforms) {
        this.campaigns = campaigns;
        this.platforms = platforms;
        this.ds = ds;
        this.lifecycle = lifecycle;
        this.outbox = outbox;
        this.takesNotQualified = anyTakesNotQualified;
    }

    /**
     * What the platform should hold for a referral: true (qualified), false (told it no longer is, or a customer
     * already), or null (nothing: never told, and nothing to take back).
     */
    static Boolean desired(String state, String reason, Boolean told) {
        return switch (state) {
            case "qualified", "platform_notified" -> Boolean.TRUE;
            case "unqualified" -> Boolean.FALSE;
            default -> Qualification.EXISTING_CUSTOMER.equals(reason) || Boolean.TRUE.equals(told) ? Boolean.FALSE
                    : null;
        };
    }

    /**
     * The notice to send now (true, false), or null when the platform has what it should. A notice sent without a
     * recorded answer may have arrived: it counts as told for deciding what the platform should now be told, and a
     * notice of the same value goes again, read back first.
     */
    Boolean toTell(Map<String, Object> row) {
        Boolean told = (Boolean) row.get("platform_told");
        Boolean sending = (Boolean) row.get("platform_sending");
        Boolean maybeTold = sending != null ? sending : told;
        Boolean want = desired((String) row.get("state"), (String) row.get("not_qualified_reason"), maybeTold);
        boolean takes = takesNotQualified && (platforms == null || platforms.client((String) row.getOrDefault(
                "platform", Platforms.DEFAULT)).unqualifies());
        if (want == null || (want.equals(maybeTold) && sending == null) || (!want && !takes)) {
            return null;
        }
        return want;
    }

    /** Returns the referral code to tell the platform about; property platformQualified says what to tell. */
    public String prepare(OutboxTask task, Exchange exchange) {
        exchange.setProperty(DeadLetters.OUTBOX_TASK, task);
        outbox.renew(task);
        return Tx.run(ds, tx -> {
            Map<String, Object> row = tx.one(sql.get("for-notice"), task.referralId());
            Boolean tell = toTell(row);
            long holdLeft = tell == Boolean.TRUE ? holdLeft(row) : 0;
            if (holdLeft > 0) {
                // Armed before a hold that is still running (a qualification while an earlier notice was in flight).
                outbox.defer(task, holdLeft);
                exchange.setProperty(NOT_YET, true);
                tell = null;
            }
            exchange.setProperty(ReferralPlatformClient.MILESTONE, row.get("milestone"));
            exchange.setProperty(ReferralPlatforms.PLATFORM, task.queue());
            exchange.setProperty(ReferralPlatformClient.VALUES, platforms.client(task.queue()).noticeValues(row,
                    (String) row.get("payload")));
            exchange.setProperty(ReferralPlatformClient.CODE, row.get("code"));
            exchange.setProperty(ReferralPlatformClient.QUALIFIED, tell);
            exchange.setProperty(ReferralPlatformClient.ROUND, row.get("round"));
            // Read the platform back first on a retry, and when the same notice may have arrived already.
            exchange.setProperty(ReferralPlatformClient.RETRY, task.attempts() > 1
                    || (tell != null && tell.equals(row.get("platform_sending"))));
            // Nothing to tell: the route records without a call.
            exchange.setProperty(ReferralPlatformClient.ALREADY_TOLD, tell == null);
            if (tell != null) {
                tx.update(sql.get("set-platform-sending"), tell, task.referralId());
            }
            return (String) row.get("code");
        });
    }

    private static final String NOT_YET = "platformNotYet";

    /** Seconds of the referral's campaign hold still to run. */
    private long holdLeft(Map<String, Object> row) {
        Double since = (Double) row.get("seconds_since_qualified");
        long hold = campaigns.find((String) row.get("campaign_id")).map(c -> c.qualification().holdSeconds())
                .orElse(0L);
        return since == null ? 0 : (long) Math.ceil(hold - since);
    }

    public void record(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task, @Body Integer status,
                       @ExchangeProperty(ReferralPlatformClient.QUALIFIED) Boolean told,
                       @ExchangeProperty(NOT_YET) Boolean notYet) {
        if (Boolean.TRUE.equals(notYet)) {
            return; // deferred to the end of the hold by prepare
        }
        Tx.run(ds, tx -> {
            long id = task.referralId();
            if (told != null) {
                tx.update(sql.get("set-platform-told"), told, id);
                if (!told) {
                    String cause = "referral platform told qualified:false, answered " + status;
                    if (!lifecycle.move(tx, id, Transition.PLATFORM_TOLD_UNQUALIFIED, cause)) {
                        lifecycle.move(tx, id, Transition.PLATFORM_TOLD_NOT_QUALIFIED, cause);
                    }
                }
            }
            if (told != null) {
                outbox.complete(tx, task);
            } else {
                outbox.completeWithoutWrite(tx, task); // nothing was sent
            }
            Map<String, Object> now = tx.one(sql.get("for-notice"), id);
            // Qualified and the platform has it (told now, or found so): notified.
            if (Boolean.TRUE.equals(now.get("platform_told")) && lifecycle.move(tx, id, Transition.PLATFORM_NOTIFIED,
                    "referral platform answered " + (told == null ? "earlier" : status))) {
                tx.update(sql.get("set-notified"), id);
            }
            // The referral may have changed while the platform was being told (a cancellation during the call): if the
            // platform no longer holds its truth, another notice goes, in a new round.
            if (toTell(tx.one(sql.get("for-notice"), id)) != null) {
                outbox.armNotice(tx, id, 0);
            }
            return null;
        });
    }
}
