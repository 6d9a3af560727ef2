package io.referralbridge.outbox;

import java.util.UUID;

/**
 * A claimed unit of outbox work: call an external system for one subject, a referral or (enrol_customer) an
 * enrolment. {@code attempts} counts this one; {@code claimToken} fences the claim: only its holder can renew, complete,
 * reschedule or dead-letter the task. {@code queue}: the tasks of this kind that share a service (one ServiceTitan
 * connection, or the platform).
 */
public record OutboxTask(long id, TaskKind kind, long subjectId, int attempts, UUID claimToken, String queue) {

    /** The referral the task is for (the tasks of referral kinds). */
    public long referralId() {
        return subjectId;
    }

    /** The enrolment the task is for (enrol_customer). */
    public long enrolmentId() {
        return subjectId;
    }

    /** For logs: "referral 12" or "enrolment 7". */
    public String subject() {
        return (kind.forEnrolment() ? "enrolment " : "referral ") + subjectId;
    }
}
