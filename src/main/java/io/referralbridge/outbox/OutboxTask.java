package io.referralbridge.outbox;

import java.util.UUID;

/**
 * A claimed unit of outbox work: call an external system for one referral. {@code attempts} counts this one;
 * {@code claimToken} fences the claim: only its holder can renew, complete, reschedule or dead-letter the task.
 * {@code queue}: the tasks of this kind that share a service (one ServiceTitan connection, or the platform).
 */
public record OutboxTask(long id, TaskKind kind, long referralId, int attempts, UUID claimToken, String queue) {
}
