package io.referralbridge.failure;

import java.util.Map;
import java.util.Set;

import javax.sql.DataSource;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.referralbridge.db.Queries;
import io.referralbridge.db.Tx;
import io.referralbridge.intake.ReferralStore;
import io.referralbridge.lifecycle.ReferralLifecycle;
import io.referralbridge.lifecycle.Transition;
import io.referralbridge.outbox.Outbox;
import io.referralbridge.outbox.OutboxTask;
import io.referralbridge.outbox.TaskKind;
import io.referralbridge.web.HttpProblem;
import org.apache.camel.Exchange;
import org.apache.camel.Header;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The persistent dead-letter channel. A task that failed its last retry is recorded with its payload, route, cause and
 * attempt count; its referral moves to {@code failed}. An operator lists them and replays one, which puts the outbox
 * task back in the queue (the task itself is idempotent, so a replay never duplicates what did happen). The list is a
 * plain read, made by the route itself (camel-sql, {@code sql/routes/dead-letters-open.sql}).
 */
public final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    /** The exchange property under which outbox routes keep the task they work on. */
    public static final String OUTBOX_TASK = "outboxTask";

    /** Per outbox kind: the move of its referral when it fails for good, and when an operator replays it. */
    private static final Map<TaskKind, Transition> FAILS = Map.of(TaskKind.CREATE_BOOKING, Transition.BOOKING_FAILED);
    private static final Map<TaskKind, Transition> REPLAYS = Map.of(TaskKind.CREATE_BOOKING,
            Transition.BOOKING_REPLAYED);

    private final DataSource ds;
    private final ObjectMapper json;
    private final Outbox outbox;
    private final ReferralStore referrals;
    private final ReferralLifecycle lifecycle;
    private final Queries sql = Queries.load("sql/dead-letters.sql");

    private final io.referralbridge.ops.BridgeMetrics metrics;

    public DeadLetters(DataSource ds, ObjectMapper json, Outbox outbox, ReferralStore referrals,
                       ReferralLifecycle lifecycle, io.referralbridge.ops.BridgeMetrics metrics) {
        this.lifecycle = lifecycle;
        this.metrics = metrics;
        this.ds = ds;
        this.json = json;
        this.outbox = outbox;
        this.referrals = referrals;
    }

    /**
     * A task whose last attempt failed (or that retrying cannot help): recorded, its referral (or enrolment) failed. A
     * notice the platform {@code refused} did not arrive: it no longer counts as maybe told, so a later take-back does
     * not tell qualified:false about what the platform never had.
     */
    public void record(Exchange exchange, OutboxTask task, Throwable cause, boolean refused) throws Exception {
        String routeId = exchange.getProperty(Exchange.FAILURE_ROUTE_ID, "unknown", String.class);
        int attempts = task.attempts();
        ObjectNode payload = json.createObjectNode();
        payload.put("outboxId", task.id());
        payload.put("kind", task.kind().id());
        boolean enrolment = task.kind().forEnrolment();
        payload.put(enrolment ? "enrolmentId" : "referralId", task.subjectId());
        try {
            // What was being processed: the webhook the referral came from, or the enrolment's customer and job.
            payload.set(enrolment ? "enrolment" : "referral", enrolment
                    ? json.valueToTree(Tx.run(ds, tx -> tx.one(sql.get("enrolment"), task.subjectId())))
                    : referrals.load(task.referralId()).payload());
        } catch (RuntimeException e) {
            payload.put(enrolment ? "enrolment" : "referral", "unavailable: " + e.getMessage());
        }
        String reason = describe(cause);
        OutboxTask failed = task;
        long id = Tx.run(ds, tx -> {
            Map<String, Object> row = tx.one(sql.get("insert"), routeId, failed.id(),
                    enrolment ? null : failed.subjectId(), enrolment ? failed.subjectId() : null,
                    json.writeValueAsString(payload), reason, attempts);
            outbox.markDead(tx, failed);
            if (enrolment) {
                tx.update(sql.get("enrolment-failed"), shorten(reason, 500), failed.subjectId());
            } else if (refused && failed.kind() == TaskKind.NOTIFY_PLATFORM) {
                tx.update(sql.get("notice-refused"), failed.referralId());
            } else if (FAILS.containsKey(failed.kind())) {
                lifecycle.move(tx, failed.referralId(), FAILS.get(failed.kind()), "dead letter: " + shorten(reason,
                        200));
            }
            return ((Number) row.get("id")).longValue();
        });
        metrics.count("bridge.dead.letters", "kind", task.kind().id());
        LOG.warn("Dead letter {}: {} task {} failed after {} attempt(s) in route {}: {}", id,
                task.subject(), task.kind(), attempts, routeId, shorten(reason, 300));
    }

    /** A replay refused because the referral moved on since: 409, the dead letter settled. */
    public record MovedOn(@com.fasterxml.jackson.annotation.JsonValue Map<String, Object> body)
            implements io.referralbridge.web.HttpAnswer {
        @Override
        public int httpStatus() {
            return 409;
        }
    }

    /**
     * Puts a dead letter's task back in the outbox. 404 if unknown, 409 if already replayed, or if its referral moved
     * on since (qualified by hand, matched as a phone-in): the dead letter is then settled, its task not done again.
     */
    public Object replay(@Header("id") String idText) {
        long id;
        try {
            id = Long.parseLong(idText);
        } catch (NumberFormatException e) {
            throw HttpProblem.notFound("No dead letter '" + idText + "'");
        }
        return Tx.run(ds, tx -> {
            Map<String, Object> dl = tx.one(sql.get("find"), id);
            if (dl == null) {
                throw HttpProblem.notFound("No dead letter " + id);
            }
            if (dl.get("replayed_at") != null) {
                throw HttpProblem.conflict("Dead letter " + id + " was already replayed");
            }
            Long outboxId = (Long) dl.get("outbox_id");
            Long referralId = (Long) dl.get("referral_id");
            TaskKind kind = TaskKind.of(json.readTree((String) dl.get("payload")).path("kind").asText());
            // The referral must still be where the dead letter left it: one that moved on since (qualified by hand,
            // matched as a phone-in) would be booked again by a replay, and the booking never recorded.
            if (referralId != null && REPLAYS.containsKey(kind)
                    && !lifecycle.move(tx, referralId, REPLAYS.get(kind), "dead letter " + id + " replayed")) {
                tx.update(sql.get("mark-replayed"), id); // settled: nothing is left to replay
                LOG.info("Dead letter {} settled without a replay: referral {} moved on", id, referralId);
                return new MovedOn(Map.of("error", "moved_on", "detail", "Referral " + referralId + " has moved on "
                        + "since dead letter " + id + " (it is no longer failed): its task is not done again, and the "
                        + "dead letter is settled", "referralId", referralId));
            }
            if (outboxId != null) {
                outbox.revive(tx, outboxId);
            }
            if (kind.forEnrolment() && dl.get("enrolment_id") != null) {
                tx.update(sql.get("enrolment-replayed"), dl.get("enrolment_id"));
            }
            tx.update(sql.get("mark-replayed"), id);
            LOG.info("Dead letter {} replayed (referral {})", id, referralId);
            return Map.of("id", id, "replayed", true, "referralId", referralId == null ? 0 : referralId);
        });
    }

    public static String describe(Throwable cause) {
        if (cause == null) {
            return "unknown failure";
        }
        if (cause instanceof HttpOperationFailedException http) {
            String body = http.getResponseBody();
            String uri = http.getUri() == null ? "" : http.getUri();
            // Without its query: a look-up's query carries the person's email or phone (kept in last_error, logged).
            return "HTTP " + http.getStatusCode() + " from " + (uri.contains("?") ? uri.substring(0, uri.indexOf('?'))
                    + "?..." : uri)
                    + (body == null || body.isBlank() ? "" : ": " + shorten(body, 1000));
        }
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    public static String shorten(String s, int max) {
        return s == null || s.length() <= max ? s : s.substring(0, max) + "...";
    }
}
