package io.referralbridge.lifecycle;

import java.sql.SQLException;
import java.util.Map;

import javax.sql.DataSource;

import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.ops.BridgeMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves referrals through their lifecycle ({@link Transition}): the state, the history row, the metric and the log line
 * of each move, in the caller's transaction. The one place that changes {@code referral.state} after intake.
 */
public final class ReferralLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(ReferralLifecycle.class);

    private final DataSource ds;
    private final BridgeMetrics metrics;
    private final Queries sql = Queries.load("sql/referrals.sql");

    public ReferralLifecycle(DataSource ds, BridgeMetrics metrics) {
        this.ds = ds;
        this.metrics = metrics;
    }

    /** In a transaction of its own. */
    public boolean move(long referralId, Transition t, String cause) {
        return Tx.run(ds, tx -> move(tx, referralId, t, null, cause));
    }

    public boolean move(Tx tx, long referralId, Transition t, String cause) throws SQLException {
        return move(tx, referralId, t, null, cause);
    }

    /** A history line with no move (something done for the referral that its state does not show). */
    public void note(Tx tx, long referralId, String cause) throws SQLException {
        Map<String, Object> row = tx.one(sql.get("lock-state"), referralId);
        if (row != null) {
            tx.update(sql.get("insert-history"), referralId, row.get("state"), row.get("state"), cause);
        }
    }

    /**
     * Makes the move if the referral is in a state it is allowed from (the row locked meanwhile); false, and nothing
     * written, otherwise. {@code bookingId}, when given, is stored with it.
     */
    public boolean move(Tx tx, long referralId, Transition t, Long bookingId, String cause) throws SQLException {
        Map<String, Object> row = tx.one(sql.get("lock-state"), referralId);
        if (row == null) {
            throw new IllegalStateException("Referral " + referralId + " does not exist");
        }
        ReferralState current = ReferralState.of((String) row.get("state"));
        if (!t.allowedFrom(current)) {
            return false;
        }
        tx.update(sql.get("set-state"), t.to().id(), bookingId, referralId);
        tx.update(sql.get("insert-history"), referralId, current.id(), t.to().id(), cause);
        metrics.count("bridge.referral.transitions", "to", t.to().id());
        LOG.info("Referral {} {} -> {} ({})", referralId, current, t.to(), cause);
        return true;
    }
}
