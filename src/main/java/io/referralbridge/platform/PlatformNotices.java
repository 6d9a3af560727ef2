package io.referralbridge.platform;

import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.failure.DeadLetters;
import io.referralbridge.lifecycle.ReferralLifecycle;
import io.referralbridge.lifecycle.Transition;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;

/** The steps of the notify-platform route around the call: which code to tell, then record that it was told. */
public final class PlatformNotices {

    private final DataSource ds;
    private final ReferralLifecycle lifecycle;
    private final Outbox outbox;
    private final Queries sql = Queries.load("sql/qualification.sql");

    public PlatformNotices(DataSource ds, ReferralLifecycle lifecycle, Outbox outbox) {
        this.ds = ds;
        this.lifecycle = lifecycle;
        this.outbox = outbox;
    }

    /** Returns the referral code to tell the platform about. */
    public String prepare(OutboxTask task, Exchange exchange) {
        exchange.setProperty(DeadLetters.OUTBOX_TASK, task);
        outbox.renew(task);
        exchange.setProperty(ReferralPlatformClient.RETRY, task.attempts() > 1);
        return Tx.run(ds, tx -> {
            Map<String, Object> row = tx.one(sql.get("for-notice"), task.referralId());
            exchange.setProperty(ReferralPlatformClient.MILESTONE, row.get("milestone"));
            exchange.setProperty(ReferralPlatformClient.CODE, row.get("code"));
            return (String) row.get("code");
        });
    }

    public void record(@ExchangeProperty(DeadLetters.OUTBOX_TASK) OutboxTask task, @Body Integer status) {
        Tx.run(ds, tx -> {
            lifecycle.move(tx, task.referralId(), Transition.PLATFORM_NOTIFIED,
                    "referral platform answered " + status);
            tx.update(sql.get("set-notified"), task.referralId());
            outbox.complete(tx, task);
            return null;
        });
    }
}
