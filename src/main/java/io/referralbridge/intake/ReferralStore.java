package io.referralbridge.intake;

import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.ops.BridgeMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Referral rows and their states. Every state change is one transaction that also appends to the history, and the work
 * it asks of other systems is written to the outbox in that same transaction.
 */
public final class ReferralStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReferralStore.class);

    private final DataSource ds;
    private final ObjectMapper json;
    private final Queries referrals = Queries.load("sql/referrals.sql");

    /** The arrays of sql/referrals.sql "accept", in its order. */
    private static final List<java.util.function.Function<Referral, String>> ACCEPT_COLUMNS = List.of(
            Referral::eventId, Referral::code, Referral::campaignId, Referral::connection, Referral::firstName,
            Referral::lastName, Referral::email, Referral::phone, Referral::payloadJson, Referral::platform);

    private final BridgeMetrics metrics;
    private final IntakeWriter intake;

    /** How webhooks are written: see {@link IntakeWriter} (bridge.intake.* properties). */
    public record GroupCommit(int writers, int maxBatch, long commitTimeoutMillis) {
    }

    public ReferralStore(DataSource ds, ObjectMapper json, BridgeMetrics metrics, GroupCommit groupCommit) {
        this.ds = ds;
        this.json = json;
        this.metrics = metrics;
        this.intake = new IntakeWriter(this::store, groupCommit.writers(), groupCommit.maxBatch(),
                groupCommit.commitTimeoutMillis());
    }

    @Override
    public void close() throws InterruptedException {
        intake.close();
    }

    /** Intake writer threads still running (see {@link IntakeWriter#writersAlive()}). */
    public int intakeWritersAlive() {
        return intake.writersAlive();
    }

    /**
     * Stores a new referral and its booking task, or finds the one already stored for the same event id or code. The
     * caller answers 2xx only after this returns, i.e. after the commit.
     */
    public IntakeResult accept(Referral r) {
        IntakeResult result = intake.write(r);
        metrics.count("bridge.webhooks", "outcome", result.error() != null ? "conflict"
                : result.duplicate() ? "duplicate" : "accepted");
        return result;
    }

    /**
     * Stores referrals (no code or event id twice) in one statement and one transaction, or finds the ones stored
     * before under the same event id or code; results in the same order.
     */
    List<IntakeResult> store(List<Referral> rs) {
        List<IntakeResult> stored = Tx.run(ds, tx -> {
            Object[] params = new Object[ACCEPT_COLUMNS.size() + 1];
            for (int c = 0; c < ACCEPT_COLUMNS.size(); c++) {
                params[c] = tx.array("text", rs.stream().map(ACCEPT_COLUMNS.get(c)).toArray());
            }
            params[ACCEPT_COLUMNS.size()] = io.referralbridge.outbox.TaskKind.CREATE_BOOKING.id();
            IntakeResult[] results = new IntakeResult[rs.size()];
            for (Map<String, Object> row : tx.query(referrals.get("accept"), params)) {
                int i = ((Number) row.get("n")).intValue() - 1;
                results[i] = Boolean.TRUE.equals(row.get("created")) ? received(row, rs.get(i)) : existing(row);
            }
            for (int i = 0; i < results.length; i++) {
                if (results[i] == null) {
                    results[i] = knownUnderAnotherEvent(tx, rs.get(i));
                }
            }
            return List.of(results);
        });
        for (int i = 0; i < stored.size(); i++) {
            if (stored.get(i).error() != null) {
                LOG.warn("Referral webhook refused: {}", stored.get(i).error());
            } else if (!stored.get(i).duplicate()) { // logged once committed: a failed batch is written again
                LOG.info("Referral {} received for campaign {}", stored.get(i).referralId(), rs.get(i).campaignId());
            }
        }
        return stored;
    }

    private static IntakeResult received(Map<String, Object> row, Referral r) {
        return new IntakeResult(((Number) row.get("id")).longValue(), r.code(), "received", false);
    }

    /** The code arrived before under another event id: remember this one too, answer with the referral. */
    private IntakeResult knownUnderAnotherEvent(Tx tx, Referral r) throws SQLException {
        Map<String, Object> byCode = tx.one(referrals.get("find-by-code"), r.code());
        if (!r.platform().equals(byCode.get("platform"))) {
            return IntakeResult.codeOfAnotherPlatform(r.code(), (String) byCode.get("platform"));
        }
        tx.update(referrals.get("insert-event"), r.eventId(), byCode.get("id"));
        return existing(byCode);
    }

    private static IntakeResult existing(Map<String, Object> row) {
        return new IntakeResult(((Number) row.get("id")).longValue(), (String) row.get("code"),
                (String) row.get("state"), true);
    }

    /**
     * Referrals in progress per ServiceTitan connection that is not among {@code configured}: nobody books or polls
     * them until that connection is configured again (or an operator moves them), so startup says so.
     */
    public Map<String, Long> openInOtherConnections(java.util.Collection<String> configured) {
        return countsOutside("open-in-other-connections", "connection", "open", configured);
    }

    /**
     * Notices still owed to referral platforms that are not among {@code configured}: no queue tells them until the
     * platform is configured again, so startup says so.
     */
    public Map<String, Long> noticesOfOtherPlatforms(java.util.Collection<String> configured) {
        return countsOutside("notices-of-other-platforms", "platform", "pending", configured);
    }

    /** A count per name not among {@code configured}, by the named query (its one parameter: the configured names). */
    private Map<String, Long> countsOutside(String query, String name, String count,
                                            java.util.Collection<String> configured) {
        return Tx.run(ds, tx -> {
            Map<String, Long> out = new java.util.TreeMap<>();
            for (Map<String, Object> row : tx.query(referrals.get(query), tx.array("text", configured.toArray()))) {
                out.put((String) row.get(name), ((Number) row.get(count)).longValue());
            }
            return out;
        });
    }

    /** The stored referral with its original webhook payload. */
    public StoredReferral load(long referralId) {
        return Tx.run(ds, tx -> {
            Map<String, Object> row = tx.one(referrals.get("load-for-booking"), referralId);
            if (row == null) {
                throw new IllegalStateException("Referral " + referralId + " does not exist");
            }
            try {
                return new StoredReferral(referralId, (String) row.get("code"), (String) row.get("campaign_id"),
                        (String) row.get("state"), (Long) row.get("booking_id"),
                        json.readTree((String) row.get("payload")), (String) row.get("connection"),
                        (String) row.get("platform"));
            } catch (Exception e) {
                throw new IllegalStateException("Referral " + referralId + " has an unreadable payload", e);
            }
        });
    }

    /**
     * Moves a referral to {@code to} if it is in one of {@code from}; returns false (and changes nothing) otherwise, so
     * a repeated or late step is harmless.
     */
    /** A referral as stored, with the webhook it came from. */
    public record StoredReferral(long id, String code, String campaignId, String state, Long bookingId,
                                 com.fasterxml.jackson.databind.JsonNode payload, String connection, String platform) {
    }
}
