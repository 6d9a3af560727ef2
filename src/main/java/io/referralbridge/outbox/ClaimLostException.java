package io.referralbridge.outbox;

/**
 * The task's claim ran out and another worker took it over (its token no longer matches): this worker stops and
 * records nothing; the new holder carries the task on.
 */
public final class ClaimLostException extends RuntimeException {

    public ClaimLostException(OutboxTask task) {
        super("Claim on outbox task " + task.id() + " (" + task.kind() + ", " + task.subject()
                + ") was taken over; leaving it to its new holder");
    }
}
